"""Raw Amazon review dumps -> Dataset, with duplicates removed, time ordering and k-core.

Supported layouts (a folder, or the path of a reviews file with its meta file beside it):

* 2014 / 2018: reviews ``reviews_*.json(.gz)`` or ``*_5.json(.gz)``, JSON lines with
  ``reviewerID``, ``asin``, ``unixReviewTime``; metadata ``meta_*.json(.gz)`` (2014 metadata is
  Python-literal rather than JSON; it is parsed with ``ast.literal_eval``, never ``eval``).
* 2023: reviews ``*.jsonl(.gz)`` with ``user_id``, ``parent_asin``, ``timestamp``; metadata
  ``meta_*.jsonl(.gz)``.
"""

from __future__ import annotations

import ast
import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from unisid.data.dataset import Dataset, Item, build_dataset
from unisid.errors import UnisidError

_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz")


def _is_json_file(p: Path) -> bool:
    return p.is_file() and p.name.endswith(_SUFFIXES) and not p.name.endswith((".inter.json", ".item.json"))


def find_amazon_files(path: Path) -> tuple[Path, Path | None] | None:
    """Return (reviews, meta or None) if ``path`` looks like a raw Amazon dump."""
    if path.is_file():
        folder, candidates = path.parent, [path]
    else:
        folder, candidates = path, sorted(p for p in path.iterdir() if _is_json_file(p))
    reviews = [p for p in candidates if _is_json_file(p) and not p.name.startswith("meta_")]
    if not reviews:
        return None
    metas = sorted(p for p in folder.iterdir() if _is_json_file(p) and p.name.startswith("meta_"))
    return reviews[0], (metas[0] if metas else None)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                yield lineno, line


def _parse(line: str, path: Path, lineno: int) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        try:
            obj = ast.literal_eval(line.strip())
        except (ValueError, SyntaxError):
            raise UnisidError(f"malformed JSON in {path} at line {lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(obj, dict):
        raise UnisidError(f"{path} line {lineno}: expected a JSON object")
    return obj


def read_reviews(path: Path) -> list[tuple[str, str, float]]:
    """(user, item, time) triples from either dump generation."""
    out = []
    for lineno, line in _lines(path):
        r = _parse(line, path, lineno)
        if "reviewerID" in r:
            user, item, t = r.get("reviewerID"), r.get("asin"), r.get("unixReviewTime", 0)
        elif "user_id" in r:
            user, item, t = r.get("user_id"), r.get("parent_asin") or r.get("asin"), r.get("timestamp", 0)
        else:
            raise UnisidError(f"{path} line {lineno}: no reviewerID/user_id field; not an Amazon review dump")
        if user is None or item is None:
            raise UnisidError(f"{path} line {lineno}: missing user or item id")
        out.append((str(user), str(item), float(t or 0)))
    return out


def _join(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        flat: list[str] = []
        for x in v:
            flat.extend([_join(x)] if not isinstance(x, (list, tuple)) else [_join(y) for y in x])
        return ", ".join(s for s in flat if s)
    return str(v).strip()


def read_meta(path: Path) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for lineno, line in _lines(path):
        m = _parse(line, path, lineno)
        iid = m.get("parent_asin") or m.get("asin")
        if iid is None:
            continue
        cats = m.get("categories", m.get("category"))
        if isinstance(cats, list) and cats and isinstance(cats[0], list):
            cats = cats[0]  # 2014: list of category paths; keep the first path
        items[str(iid)] = Item(
            title=_join(m.get("title")),
            description=_join(m.get("description")),
            brand=_join(m.get("brand") or m.get("store")),
            categories=_join(cats),
        )
    return items


def kcore(triples: list[tuple[str, str, float]], k: int) -> list[tuple[str, str, float]]:
    """Iteratively drop users and items with fewer than k interactions until stable."""
    while True:
        uc = Counter(u for u, _, _ in triples)
        ic = Counter(i for _, i, _ in triples)
        kept = [t for t in triples if uc[t[0]] >= k and ic[t[1]] >= k]
        if len(kept) == len(triples):
            return kept
        triples = kept


def load_amazon(path: Path, kcore_k: int | None = 5, min_interactions: int = 3) -> Dataset:
    found = find_amazon_files(path)
    if found is None:
        raise UnisidError(f"no Amazon review file in {path}")
    reviews_path, meta_path = found
    triples = read_reviews(reviews_path)
    # duplicates: keep a user's first interaction with an item
    triples.sort(key=lambda t: t[2])
    seen: set[tuple[str, str]] = set()
    dedup = []
    for u, i, t in triples:
        if (u, i) not in seen:
            seen.add((u, i))
            dedup.append((u, i, t))
    if kcore_k:
        dedup = kcore(dedup, kcore_k)
    seqs: dict[str, list[str]] = defaultdict(list)
    for u, i, _ in dedup:  # already time-ordered (stable sort keeps file order on ties)
        seqs[u].append(i)
    meta = read_meta(meta_path) if meta_path else {}
    used = {i for _, i, _ in dedup}
    items = {iid: meta.get(iid, Item()) for iid in sorted(used)}
    name = reviews_path.name.split(".")[0].removeprefix("reviews_").removesuffix("_5")
    return build_dataset(name, items, dict(seqs), min_interactions=min_interactions, strict_items=True)
