"""LC-Rec format: a folder with ``X.inter.json`` (user -> ordered item ids) and ``X.item.json``
(item id -> title/description/brand/categories). Read it, and export any Dataset to it."""

from __future__ import annotations

from pathlib import Path

from unisid.data.dataset import TEXT_FIELDS, Dataset, Item, build_dataset
from unisid.errors import UnisidError
from unisid.io import read_json, write_json, write_text


def find_lcrec_files(folder: Path) -> tuple[Path, Path] | None:
    inters = sorted(folder.glob("*.inter.json"))
    if not inters:
        return None
    inter = inters[0]
    name = inter.name[: -len(".inter.json")]
    item = folder / f"{name}.item.json"
    if not item.exists():
        raise UnisidError(f"{inter} has no matching item table {item.name} in {folder}")
    return inter, item


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(_text(x) for x in v if _text(x))
    return str(v).strip()


def load_lcrec(folder: Path, min_interactions: int = 3) -> Dataset:
    found = find_lcrec_files(folder)
    if found is None:
        raise UnisidError(f"no *.inter.json in {folder}")
    inter_path, item_path = found
    inters = read_json(inter_path)
    raw_items = read_json(item_path)
    if not isinstance(inters, dict):
        raise UnisidError(f"{inter_path} must map user ids to lists of item ids")
    if not isinstance(raw_items, dict):
        raise UnisidError(f"{item_path} must map item ids to item records")
    items: dict[str, Item] = {}
    for iid, rec in raw_items.items():
        rec = rec if isinstance(rec, dict) else {}
        items[str(iid)] = Item(**{f: _text(rec.get(f)) for f in TEXT_FIELDS})
    seqs: dict[str, list[str]] = {}
    for uid, seq in inters.items():
        if not isinstance(seq, list):
            raise UnisidError(f"{inter_path}: user {uid!r} maps to {type(seq).__name__}, expected a list")
        seqs[str(uid)] = [str(i) for i in seq]
    name = inter_path.name[: -len(".inter.json")]
    return build_dataset(name, items, seqs, min_interactions=min_interactions, strict_items=True)


def export_lcrec(ds: Dataset, out: Path, name: str | None = None) -> Path:
    """Write ``NAME.inter.json``/``NAME.item.json`` with contiguous ids, plus ``NAME.item2id`` and
    ``NAME.user2id`` (tab-separated original id -> exported id) so results map back."""
    name = name or ds.name
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{name}.inter.json", {str(u): seq.tolist() for u, seq in enumerate(ds.sequences)}, indent=None)
    write_json(
        out / f"{name}.item.json",
        {str(i): {f: getattr(it, f) for f in TEXT_FIELDS} for i, it in enumerate(ds.items)},
        indent=None,
    )
    write_text(out / f"{name}.item2id", "".join(f"{iid}\t{i}\n" for i, iid in enumerate(ds.item_ids)))
    write_text(out / f"{name}.user2id", "".join(f"{uid}\t{u}\n" for u, uid in enumerate(ds.user_ids)))
    return out
