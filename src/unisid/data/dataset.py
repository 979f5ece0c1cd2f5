"""The in-memory dataset every stage works on.

Internal ids are contiguous ints (items ``0..n_items-1``, users ``0..n_users-1``); the original
ids are kept in ``item_ids`` / ``user_ids`` for output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

TEXT_FIELDS = ("title", "description", "brand", "categories")


@dataclass
class Item:
    title: str = ""
    description: str = ""
    brand: str = ""
    categories: str = ""
    """Comma-separated category path, most general first (LC-Rec convention)."""

    def has_text(self) -> bool:
        return any(getattr(self, f).strip() for f in TEXT_FIELDS)


@dataclass
class Dataset:
    name: str
    item_ids: list[str]
    items: list[Item]
    user_ids: list[str]
    sequences: list[np.ndarray]
    """Per user, chronological internal item ids (int64)."""
    dropped_users: int = 0
    """Users dropped at load time for having fewer than ``min_interactions`` interactions."""
    meta: dict = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_interactions(self) -> int:
        return int(sum(len(s) for s in self.sequences))

    def content_hash(self) -> str:
        """sha256 over item ids, item text and sequences: identifies the data a run used."""
        h = hashlib.sha256()
        for iid, it in zip(self.item_ids, self.items, strict=True):
            h.update(f"{iid}\x1f{it.title}\x1f{it.description}\x1f{it.brand}\x1f{it.categories}\x1e".encode())
        for uid, seq in zip(self.user_ids, self.sequences, strict=True):
            h.update(uid.encode() + b"\x1f")
            h.update(np.asarray(seq, dtype=np.int64).tobytes())
        return h.hexdigest()

    def top_categories(self) -> list[str]:
        """Each item's top category: the first category level that is not shared by every item
        (Instruments lists the root 'Musical Instruments' first, Office does not)."""
        paths = [[c.strip() for c in it.categories.split(",") if c.strip()] for it in self.items]
        level = 0
        while True:
            firsts = {p[level] for p in paths if len(p) > level}
            if len(firsts) != 1 or not any(len(p) > level + 1 for p in paths):
                break
            level += 1
        return [p[level] if len(p) > level else (p[-1] if p else "") for p in paths]


def build_dataset(
    name: str,
    items: dict[str, Item],
    user_seqs: dict[str, list[str]],
    min_interactions: int = 3,
    strict_items: bool = True,
) -> Dataset:
    """Assemble a Dataset from original-id inputs.

    ``strict_items``: an interaction whose item is absent from ``items`` is an error (LC-Rec and
    tables with an item table); otherwise the item is added with empty text (raw dumps whose
    metadata lacks some items).
    """
    from unisid.errors import UnisidError

    items = dict(items)
    for uid, seq in user_seqs.items():
        for iid in seq:
            if iid not in items:
                if strict_items:
                    raise UnisidError(
                        f"user {uid!r} interacts with item {iid!r}, which is missing from the item table"
                    )
                items[iid] = Item()
    item_ids = list(items)
    index = {iid: i for i, iid in enumerate(item_ids)}
    user_ids: list[str] = []
    seqs: list[np.ndarray] = []
    dropped = 0
    for uid, seq in user_seqs.items():
        if len(seq) < min_interactions:
            dropped += 1
            continue
        user_ids.append(str(uid))
        seqs.append(np.fromiter((index[i] for i in seq), dtype=np.int64, count=len(seq)))
    return Dataset(name, item_ids, [items[i] for i in item_ids], user_ids, seqs, dropped_users=dropped)
