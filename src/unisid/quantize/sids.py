"""SID files in LC-Rec index format: ``{"<item id>": ["<a_12>", "<b_200>", "<c_7>"], ...}``."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np

from unisid.errors import UnisidError
from unisid.io import read_json, write_json

LETTERS = string.ascii_lowercase
_TOKEN = re.compile(r"^<([a-z])_(\d+)>$")


def code_token(level: int, code: int) -> str:
    return f"<{LETTERS[level]}_{int(code)}>"


def sid_tokens(codes: np.ndarray) -> list[list[str]]:
    return [[code_token(lv, c) for lv, c in enumerate(row)] for row in codes]


def write_sids(path: str | Path, item_ids: list[str], codes: np.ndarray) -> None:
    write_json(path, dict(zip(item_ids, sid_tokens(codes), strict=True)), indent=None)


def read_sids(path: str | Path, item_ids: list[str]) -> np.ndarray:
    """Codes (n_items, L) in the dataset's item order. Every dataset item must have a SID; SIDs
    of items not in the dataset are ignored."""
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise UnisidError(f"{path}: a SID file maps item ids to lists of code tokens")
    missing = [i for i in item_ids if i not in raw]
    if missing:
        raise UnisidError(f"{path} has no SID for {len(missing)} dataset item(s), e.g. {missing[0]!r}")
    rows = []
    n_levels = None
    for iid in item_ids:
        toks = raw[iid]
        if not isinstance(toks, list) or not toks:
            raise UnisidError(f"{path}: SID of item {iid!r} must be a non-empty list of tokens")
        row = []
        for lv, tok in enumerate(toks):
            m = _TOKEN.match(str(tok))
            if not m or LETTERS.index(m.group(1)) != lv:
                raise UnisidError(f"{path}: item {iid!r} has token {tok!r} at level {lv}; expected <{LETTERS[lv]}_N>")
            row.append(int(m.group(2)))
        if n_levels is None:
            n_levels = len(row)
        elif len(row) != n_levels:
            raise UnisidError(f"{path}: item {iid!r} has {len(row)} levels, others have {n_levels}")
        rows.append(row)
    return np.asarray(rows, dtype=np.int64)
