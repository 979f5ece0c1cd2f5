"""``load_dataset(path)``: pick the loader from what the path holds.

* ``synthetic`` (optionally ``synthetic:n_items=2000,seed=3``): the generator;
* a folder with ``*.inter.json`` + ``*.item.json``: LC-Rec format;
* a folder or file with ``interactions.{csv,parquet,tsv}`` or a ``.csv/.parquet`` file: tables;
* a folder or file with Amazon review JSON lines (+ ``meta_*``): raw Amazon dumps.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from unisid.config import DataConfig, SyntheticConfig
from unisid.data.amazon import find_amazon_files, load_amazon
from unisid.data.dataset import Dataset
from unisid.data.lcrec import find_lcrec_files, load_lcrec
from unisid.data.synthetic import generate_synthetic
from unisid.data.table import find_table_files, load_table
from unisid.errors import UnisidError

_console = Console(stderr=True)


def _parse_synthetic(spec: str, base: SyntheticConfig) -> SyntheticConfig:
    fields = base.model_dump()
    if ":" in spec:
        for kv in spec.split(":", 1)[1].split(","):
            if not kv.strip():
                continue
            k, _, v = kv.partition("=")
            if k.strip() not in fields:
                raise UnisidError(f"unknown synthetic option {k.strip()!r}; known: {', '.join(fields)}")
            fields[k.strip()] = v.strip()
    return SyntheticConfig.model_validate(fields)


def load_dataset(path: str | Path, cfg: DataConfig | None = None, warn: bool = True) -> Dataset:
    cfg = cfg or DataConfig()
    spec = str(path)
    if spec == "synthetic" or spec.startswith("synthetic:"):
        s = _parse_synthetic(spec, cfg.synthetic)
        ds = generate_synthetic(s.n_users, s.n_items, s.n_categories, s.n_intents, s.seed, s.cold_fraction)
    else:
        p = Path(path)
        if not p.exists():
            raise UnisidError(f"path not found: {p}")
        if p.is_dir() and find_lcrec_files(p):
            ds = load_lcrec(p, cfg.min_interactions)
        elif find_table_files(p):
            ds = load_table(p, cfg.min_interactions)
        elif find_amazon_files(p):
            ds = load_amazon(p, cfg.kcore, cfg.min_interactions)
        else:
            raise UnisidError(
                f"cannot tell the format of {p}: expected an LC-Rec folder (*.inter.json + *.item.json), "
                "an interactions CSV/Parquet table, or Amazon review JSON lines"
            )
    if ds.n_users == 0:
        raise UnisidError(f"{path}: no user has at least {cfg.min_interactions} interactions")
    if warn and ds.dropped_users:
        _console.print(
            f"[yellow]warning:[/yellow] dropped {ds.dropped_users} user(s) with fewer than "
            f"{cfg.min_interactions} interactions"
        )
    return ds
