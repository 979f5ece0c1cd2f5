"""Summary statistics of a dataset (``unisid data stats``)."""

from __future__ import annotations

import numpy as np

from unisid.data.dataset import Dataset


def dataset_stats(ds: Dataset) -> dict[str, float | int]:
    lengths = np.array([len(s) for s in ds.sequences]) if ds.sequences else np.zeros(1)
    n_inter = ds.n_interactions
    counts = np.bincount(np.concatenate(ds.sequences), minlength=ds.n_items) if ds.sequences else np.zeros(1)
    return {
        "users": ds.n_users,
        "items": ds.n_items,
        "interactions": n_inter,
        "density": n_inter / max(1, ds.n_users * ds.n_items),
        "mean_seq_len": float(lengths.mean()),
        "median_seq_len": float(np.median(lengths)),
        "items_without_text": sum(not it.has_text() for it in ds.items),
        "items_without_interactions": int((counts == 0).sum()),
        "dropped_users": ds.dropped_users,
    }
