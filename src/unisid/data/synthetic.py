"""A synthetic dataset with a real semantic-collaborative gap, deterministic by seed.

Generative story
----------------
1. **Catalogue.** ``n_categories`` categories, each with its own noun, brand vocabulary and
   attribute vocabulary. An item draws a category, a brand and two attributes of that category
   plus a shared adjective; its title, description and category path are built from those words.
   Items of one category therefore look alike in text.
2. **Intents.** ``n_intents`` latent shopping intents. Each intent is an ordered tuple of three
   *different* categories (a "home office" intent might chain desk -> lamp -> paper). Every
   non-cold item is assigned to one intent covering its category, uniformly at random and
   independently of its words. Items that co-occur in sessions are thus complementary items
   *across* categories, and which items of a category go together is invisible in the text:
   co-interaction structure is not recoverable from text alone, while text still carries the
   category signal that collaborative data lacks for rare items.
3. **Popularity.** Items carry Zipf weights (``zipf_alpha``) over a random order, so
   interactions have a head and a long tail.
4. **Cold items.** A ``cold_fraction`` of items belongs to no intent: they have full text but are
   only reached by rare random exploration, so they have few or no interactions.
5. **Users.** Each user follows one intent (70%) or two (30%). A sequence of length
   ``3 + Geometric(0.15)`` (capped at 50) is drawn step by step: with probability 0.75 the next
   item comes from the current intent, from the category that follows the previous one in the
   intent's chain (70%) or any of its categories (30%), popularity-weighted; with 0.15 it is a
   "semantic browse" to a popular item of the previous item's category regardless of intent;
   with 0.10 a uniformly random item (this is how cold items get their few interactions). Two-
   intent users switch intent with probability 0.3 per step. Repeats are not allowed.

Every random draw comes from one ``numpy.random.Generator`` seeded with ``seed``.
"""

from __future__ import annotations

import numpy as np

from unisid.data.dataset import Dataset, Item

_NOUNS = [
    "desk", "lamp", "notebook", "pen", "chair", "stapler", "monitor", "keyboard", "binder", "printer",
    "cable", "backpack", "speaker", "marker", "shelf", "folder", "mouse", "calendar", "scissors", "tape",
]
_ADJ = ["black", "white", "blue", "red", "compact", "large", "premium", "classic", "eco", "heavy-duty"]
_SYLL = ["ka", "lo", "mi", "ro", "ve", "ta", "nu", "shi", "bo", "fe", "zu", "da", "pi", "qua", "rex", "tor"]


def _word(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(_SYLL, size=n))


def generate_synthetic(
    n_users: int = 1000,
    n_items: int = 500,
    n_categories: int = 8,
    n_intents: int = 24,
    seed: int = 0,
    cold_fraction: float = 0.05,
    zipf_alpha: float = 0.8,
) -> Dataset:
    if n_categories < 3:
        raise ValueError("synthetic data needs at least 3 categories (intents chain 3 categories)")
    rng = np.random.default_rng(seed)
    # --- catalogue ---------------------------------------------------------------------------
    nouns = [_NOUNS[c % len(_NOUNS)] + ("" if c < len(_NOUNS) else f"-{c // len(_NOUNS)}") for c in range(n_categories)]
    brands = [[_word(rng, 2).capitalize() for _ in range(6)] for _ in range(n_categories)]
    attrs = [[_word(rng, 3) for _ in range(10)] for _ in range(n_categories)]
    cat = rng.integers(0, n_categories, size=n_items)  # (n_items,)
    items: list[Item] = []
    for i in range(n_items):
        c = int(cat[i])
        brand = brands[c][rng.integers(6)]
        a1, a2 = rng.choice(attrs[c], size=2, replace=False)
        adj = _ADJ[rng.integers(len(_ADJ))]
        noun = nouns[c]
        items.append(
            Item(
                title=f"{brand} {adj} {a1} {noun} {a2} edition",
                description=f"A {adj} {noun} by {brand} with {a1} finish and {a2} design, made for everyday {noun} use.",
                brand=brand,
                categories=f"Synthetic, {noun.capitalize()}s, {a1.capitalize()} {noun}s",
            )
        )
    # --- intents -----------------------------------------------------------------------------
    chains = np.stack([rng.choice(n_categories, size=3, replace=False) for _ in range(n_intents)])  # (K, 3)
    for _ in range(1000):  # make every category reachable by some intent
        uncovered = np.setdiff1d(np.arange(n_categories), chains)
        if not len(uncovered):
            break
        chains[rng.integers(n_intents), rng.integers(3)] = uncovered[0]
    cold = rng.random(n_items) < cold_fraction
    intent = np.full(n_items, -1)
    for i in np.flatnonzero(~cold):
        options = np.flatnonzero((chains == cat[i]).any(axis=1))
        if len(options):
            intent[i] = rng.choice(options)
    cold |= intent < 0
    # --- popularity --------------------------------------------------------------------------
    weight = np.empty(n_items)
    weight[rng.permutation(n_items)] = 1.0 / np.arange(1, n_items + 1) ** zipf_alpha
    pools: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k in range(n_intents):
        for c in chains[k]:
            members = np.flatnonzero((intent == k) & (cat == c))
            if len(members):
                w = np.cumsum(weight[members])
                pools[(k, int(c))] = (members, w / w[-1])
    by_cat: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for c in range(n_categories):
        members = np.flatnonzero(cat == c)
        if len(members):
            w = np.cumsum(weight[members])
            by_cat[c] = (members, w / w[-1])

    def draw(pool: tuple[np.ndarray, np.ndarray]) -> int:
        members, cdf = pool
        return int(members[min(np.searchsorted(cdf, rng.random()), len(members) - 1)])

    # --- users -------------------------------------------------------------------------------
    sequences: list[np.ndarray] = []
    for _ in range(n_users):
        user_intents = rng.choice(n_intents, size=1 if rng.random() < 0.7 else 2, replace=False)
        cur = int(user_intents[0])
        length = min(50, 3 + int(rng.geometric(0.15)) - 1)
        seq: list[int] = []
        seen: set[int] = set()
        pos = int(rng.integers(3))  # position in the intent's category chain
        tries = 0
        while len(seq) < length and tries < length * 10:
            tries += 1
            if len(user_intents) == 2 and rng.random() < 0.3:
                cur = int(user_intents[rng.integers(2)])
            r = rng.random()
            if r < 0.75 or not seq:
                pos = (pos + 1) % 3 if rng.random() < 0.7 else int(rng.integers(3))
                pool = pools.get((cur, int(chains[cur, pos])))
                if pool is None:
                    continue
                item = draw(pool)
            elif r < 0.90:
                item = draw(by_cat[int(cat[seq[-1]])])
            else:
                item = int(rng.integers(n_items))
            if item in seen:
                continue
            seen.add(item)
            seq.append(item)
        sequences.append(np.asarray(seq, dtype=np.int64))
    keep = [u for u, s in enumerate(sequences) if len(s) >= 3]
    ds = Dataset(
        name="synthetic",
        item_ids=[str(i) for i in range(n_items)],
        items=items,
        user_ids=[str(u) for u in keep],
        sequences=[sequences[u] for u in keep],
        dropped_users=n_users - len(keep),
    )
    ds.meta = {
        "category": cat.tolist(),
        "intent": intent.tolist(),
        "cold": cold.tolist(),
        "generator": {"n_users": n_users, "n_items": n_items, "n_categories": n_categories,
                      "n_intents": n_intents, "seed": seed, "cold_fraction": cold_fraction},
    }
    return ds
