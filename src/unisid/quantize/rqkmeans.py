"""RQ-KMeans: residual k-means, one faiss k-means per level (codebook sizes may differ per level).

Level-wise ``faiss.Kmeans`` is used rather than ``faiss.ResidualQuantizer``: the latter packs
codes into bits and needs power-of-two codebooks; here codes come back as plain (n, L) ints.
"""

from __future__ import annotations

import numpy as np
import torch

from unisid.config import QuantizerConfig
from unisid.quantize.base import QUANTIZERS, QuantizeResult, kmeans, sinkhorn


def _sq_dists(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    return (x**2).sum(1, keepdims=True) - 2 * x @ c.T + (c**2).sum(1)[None]  # (n, K)


@QUANTIZERS.register("rqkmeans")
def rq_kmeans(x: np.ndarray, cfg: QuantizerConfig, seed: int) -> QuantizeResult:
    resid = np.asarray(x, dtype=np.float32).copy()  # (n, d)
    codes = np.zeros((len(x), len(cfg.codebook_sizes)), dtype=np.int64)
    state, log = {}, {"level_mse": []}
    last = len(cfg.codebook_sizes) - 1
    dists = None
    for level, k in enumerate(cfg.codebook_sizes):
        cent = kmeans(resid, k, cfg.kmeans_iters, seed + level)  # (k, d)
        dists = _sq_dists(resid, cent)
        if level == last and cfg.sinkhorn_last_level:
            codes[:, level] = sinkhorn(torch.from_numpy(dists), cfg.sinkhorn_epsilon, cfg.sinkhorn_iters).argmax(1).numpy()
        else:
            codes[:, level] = dists.argmin(1)
        resid = resid - cent[codes[:, level]]
        state[f"codebook_{level}"] = torch.from_numpy(cent)
        log["level_mse"].append(float((resid**2).sum(1).mean()))
    return QuantizeResult(codes, list(cfg.codebook_sizes), dists.astype(np.float32), state, log)
