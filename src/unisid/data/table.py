"""Generic tables: CSV or Parquet interactions with ``user_id``, ``item_id``, ``timestamp``, plus
an optional item table (``item_id`` and any of title/description/brand/categories).

A folder holds ``interactions.{csv,parquet}`` and optionally ``items.{csv,parquet}``; a file path
is taken as the interactions table with an ``items.*`` file beside it used if present.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from unisid.data.dataset import TEXT_FIELDS, Dataset, Item, build_dataset
from unisid.errors import UnisidError

_EXT = (".csv", ".parquet", ".tsv")


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", dtype={"user_id": str, "item_id": str})
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise UnisidError(f"cannot read table {path}: {str(e).splitlines()[0]}") from None


def find_table_files(path: Path) -> tuple[Path, Path | None] | None:
    if path.is_file():
        if path.suffix not in _EXT:
            return None
        folder, inter = path.parent, path
    else:
        folder = path
        cands = [folder / f"interactions{e}" for e in _EXT]
        inter = next((c for c in cands if c.exists()), None)
        if inter is None:
            return None
    items = next((folder / f"items{e}" for e in _EXT if (folder / f"items{e}").exists()), None)
    return inter, items


def load_table(path: Path, min_interactions: int = 3) -> Dataset:
    found = find_table_files(path)
    if found is None:
        raise UnisidError(f"no interactions table in {path}")
    inter_path, items_path = found
    df = _read(inter_path)
    missing = {"user_id", "item_id", "timestamp"} - set(df.columns)
    if missing:
        raise UnisidError(f"{inter_path} lacks column(s) {', '.join(sorted(missing))}")
    df = df.astype({"user_id": str, "item_id": str})
    df = df.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "item_id"], keep="first")
    seqs = {u: g["item_id"].tolist() for u, g in df.groupby("user_id", sort=False)}
    if items_path is not None:
        it = _read(items_path)
        if "item_id" not in it.columns:
            raise UnisidError(f"{items_path} lacks column item_id")
        it = it.astype({"item_id": str}).fillna("")
        items = {
            r["item_id"]: Item(**{f: str(r[f]) if f in it.columns else "" for f in TEXT_FIELDS})
            for r in it.to_dict("records")
        }
        strict = True
    else:
        items, strict = {}, False
    return build_dataset(inter_path.stem, items, seqs, min_interactions=min_interactions, strict_items=strict)
