"""LC-Rec multi-task alignment prompts: every template in one place.

Each task turns the dataset into (instruction, response) pairs. SIDs are written with one added
token per code per level (``<a_12><b_3><c_200>``), item text with the item's title (and a short
description where the task asks for it). Paraphrases are drawn per example with a seeded RNG.

- seqrec: history SIDs -> next item's SID (the recommendation task; also the decoding prompt);
- item2index: title (+ description) -> SID;  index2item: SID -> title;
- fusionseqrec: history SIDs -> next item's title, and history titles -> next item's SID;
- itemsearch: a query built from the item's category path and brand -> SID (items with categories);
- preference: history SIDs -> the categories the user buys most (users whose items have categories).

LC-Rec's own itemsearch/preference texts come from reviews and LLM summaries; unisid builds them
from the category metadata the data has, and skips a task (with a message) when it has none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from unisid.data import Dataset, LeaveOneOut

LEVEL_PREFIXES = "abcdefghij"

TEMPLATES: dict[str, list[str]] = {
    "seqrec": [
        "The user has interacted with these items in order: {history}. Predict the next item the user will interact with.",
        "Here is a user's purchase history: {history}. Which item will the user buy next?",
        "Given the items {history}, recommend the next item for this user.",
    ],
    "item2index": [
        "Which item has the title: {title}?{desc}",
        "An item is titled \"{title}\".{desc} What is its index?",
        "Find the index of the item called {title}.{desc}",
    ],
    "index2item": [
        "What is the title of item {sid}?",
        "Tell me the name of the item {sid}.",
        "Item {sid} is called what?",
    ],
    "fusionseqrec_title": [
        "The user has interacted with these items in order: {history}. What is the title of the next item the user will interact with?",
        "Given the purchase history {history}, name the item the user will buy next.",
    ],
    "fusionseqrec_index": [
        "The user has bought these items in order: {titles}. Predict the index of the next item.",
        "Here are the titles of the items a user interacted with: {titles}. Which item comes next?",
    ],
    "itemsearch": [
        "I am looking for {query}. Which item should I buy?",
        "Find an item that matches: {query}.",
        "Search for {query}.",
    ],
    "preference": [
        "The user has interacted with these items in order: {history}. What kinds of items does the user prefer?",
        "Summarise the preferences of a user whose history is {history}.",
    ],
}

PROMPT = "### Instruction:\n{instruction}\n\n### Response:\n"
"""The wrapper around every instruction; the model's answer follows it directly."""


@dataclass
class Example:
    task: str
    prompt: str  # wrapped instruction, ends right before the response
    response: str  # SID tokens or text (the tokenizer's EOS is appended at encoding time)


def sid_token(level: int, code: int) -> str:
    return f"<{LEVEL_PREFIXES[level]}_{code}>"


def sid_string(codes: np.ndarray) -> str:
    return "".join(sid_token(lv, int(c)) for lv, c in enumerate(codes))


class PromptBuilder:
    def __init__(self, ds: Dataset, codes: np.ndarray, history_items: int, max_title_chars: int,
                 max_description_words: int) -> None:
        self.ds, self.codes = ds, codes
        self.sids = [sid_string(c) for c in codes]
        self.history_items = history_items
        self.titles = [_clip(it.title or ds.item_ids[i], max_title_chars) for i, it in enumerate(ds.items)]
        self.descs = [" ".join(it.description.split()[:max_description_words]) for it in ds.items]

    def _hist(self, items: np.ndarray) -> str:
        return ", ".join(self.sids[i] for i in items[-self.history_items :])

    def _titles(self, items: np.ndarray) -> str:
        return ", ".join(f'"{self.titles[i]}"' for i in items[-min(self.history_items, 10) :])

    def seqrec_prompt(self, history: np.ndarray, variant: int = 0) -> str:
        return PROMPT.format(instruction=TEMPLATES["seqrec"][variant].format(history=self._hist(history)))

    def build(self, split: LeaveOneOut, tasks: list[str], caps: dict[str, int], seed: int) -> list[Example]:
        rng = np.random.default_rng(seed)
        hist, tgt, _ = split.train_samples()
        out: list[Example] = []
        for task in tasks:
            made = getattr(self, f"_{task}")(hist, tgt, split, rng)
            if not made:
                print(f"lcrec: task {task!r} skipped (the data has no text for it)")
                continue
            cap = caps.get(task)
            if cap is not None and len(made) > cap:
                made = [made[i] for i in np.sort(rng.choice(len(made), cap, replace=False))]
            out += made
        return out

    def _pick(self, rng: np.random.Generator, key: str) -> str:
        t = TEMPLATES[key]
        return t[int(rng.integers(len(t)))]

    def _ex(self, task: str, instruction: str, response: str) -> Example:
        return Example(task, PROMPT.format(instruction=instruction), response)

    def _seqrec(self, hist, tgt, split, rng) -> list[Example]:
        return [self._ex("seqrec", self._pick(rng, "seqrec").format(history=self._hist(h)), self.sids[t])
                for h, t in zip(hist, tgt, strict=True)]

    def _item2index(self, hist, tgt, split, rng) -> list[Example]:
        out = []
        for i in range(self.ds.n_items):
            desc = f" Description: {self.descs[i]}." if self.descs[i] else ""
            out.append(self._ex("item2index", self._pick(rng, "item2index").format(title=self.titles[i], desc=desc),
                                self.sids[i]))
        return out

    def _index2item(self, hist, tgt, split, rng) -> list[Example]:
        return [self._ex("index2item", self._pick(rng, "index2item").format(sid=self.sids[i]), self.titles[i])
                for i in range(self.ds.n_items)]

    def _fusionseqrec(self, hist, tgt, split, rng) -> list[Example]:
        out = []
        for h, t in zip(hist, tgt, strict=True):
            if rng.random() < 0.5:
                out.append(self._ex("fusionseqrec", self._pick(rng, "fusionseqrec_title").format(history=self._hist(h)),
                                    self.titles[t]))
            else:
                out.append(self._ex("fusionseqrec", self._pick(rng, "fusionseqrec_index").format(titles=self._titles(h)),
                                    self.sids[t]))
        return out

    def _itemsearch(self, hist, tgt, split, rng) -> list[Example]:
        out = []
        for i, it in enumerate(self.ds.items):
            cats = [c.strip() for c in it.categories.split(",") if c.strip()]
            if not cats:
                continue
            query = cats[-1].lower() + (f" by {it.brand}" if it.brand.strip() else "")
            out.append(self._ex("itemsearch", self._pick(rng, "itemsearch").format(query=query), self.sids[i]))
        return out

    def _preference(self, hist, tgt, split, rng) -> list[Example]:
        out = []
        for u in range(split.n_users):
            items = split.train[u][-self.history_items :]
            counts = Counter(c for i in items for c in _leaf_category(self.ds.items[i].categories))
            if not counts:
                continue
            top = [c for c, _ in counts.most_common(3)]
            out.append(self._ex("preference", self._pick(rng, "preference").format(history=self._hist(items)),
                                "The user prefers " + ", ".join(top) + "."))
        return out


def _leaf_category(categories: str) -> list[str]:
    cats = [c.strip() for c in categories.split(",") if c.strip()]
    return [cats[-1].lower()] if cats else []


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
