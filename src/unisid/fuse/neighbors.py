"""Item neighbourhoods used as fusion inputs and contrastive positives."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def co_interaction_neighbors(co: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k items co-interacted with each item, by co-count, from the item co-occurrence matrix
    (``LeaveOneOut.item_cooccurrence()``).

    Returns ``idx`` (n, k) int64 padded with -1, and ``count`` (n, k) float32 (0 where padded).
    """
    n = co.shape[0]
    idx = np.full((n, k), -1, dtype=np.int64)
    cnt = np.zeros((n, k), dtype=np.float32)
    for i in range(n):
        lo, hi = co.indptr[i], co.indptr[i + 1]
        if lo == hi:
            continue
        cols, vals = co.indices[lo:hi], co.data[lo:hi]
        top = np.argsort(-vals, kind="stable")[:k]
        idx[i, : len(top)] = cols[top]
        cnt[i, : len(top)] = vals[top]
    return idx, cnt


def text_knn(emb: np.ndarray, k: int) -> np.ndarray:
    """k nearest neighbours (cosine) of each item, itself excluded; (n, k) int64."""
    import faiss

    x = np.ascontiguousarray(emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12), dtype=np.float32)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    _, nn = index.search(x, min(k + 1, len(x)))
    out = np.full((len(x), k), -1, dtype=np.int64)
    for i, row in enumerate(nn):
        row = row[row != i][:k]
        out[i, : len(row)] = row
    return out
