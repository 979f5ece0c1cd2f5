"""Quantizer interface and registry.

A quantizer maps unified item embeddings (n, d) to residual codes (n, L). It also returns, for
every item, the distances of its last-level residual to every last-level code, which collision
handling uses to move colliding items to the nearest free code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from unisid.config import QuantizerConfig
from unisid.registry import Registry


@dataclass
class QuantizeResult:
    codes: np.ndarray  # (n, L) int64, before collision handling
    codebook_sizes: list[int]
    last_distances: np.ndarray  # (n, K_last) float32, squared distances of last residual to last codes
    state: dict[str, torch.Tensor] = field(default_factory=dict)  # saved as safetensors
    log: dict = field(default_factory=dict)


class Quantizer(Protocol):
    def __call__(self, x: np.ndarray, cfg: QuantizerConfig, seed: int) -> QuantizeResult: ...


QUANTIZERS: Registry[Quantizer] = Registry("quantizer")


def sinkhorn(distances: torch.Tensor, epsilon: float = 0.003, iters: int = 50) -> torch.Tensor:
    """Sinkhorn-Knopp: a soft assignment (B, K) of B points to K codes with (near) uniform code
    usage, from squared distances (B, K). LC-Rec's "uniform semantic mapping"."""
    d = distances.double()
    mid = (d.max() + d.min()) / 2
    d = (d - mid) / (d.max() - mid + 1e-5)  # centred into [-1, 1]
    q = torch.exp(-d / epsilon).T  # (K, B); |d| <= 1 so exp stays finite in float64 for eps >= 0.0015
    q = q / q.sum()
    k, b = q.shape
    for _ in range(iters):
        q = q / q.sum(dim=1, keepdim=True).clamp_min(1e-300) / k
        q = q / q.sum(dim=0, keepdim=True).clamp_min(1e-300) / b
    return (q * b).T.float()  # (B, K)


def kmeans(x: np.ndarray, k: int, iters: int, seed: int) -> np.ndarray:
    """faiss k-means centroids (k, d); k is capped at the number of points."""
    import faiss

    x = np.ascontiguousarray(x, dtype=np.float32)
    k_eff = min(k, len(x))
    km = faiss.Kmeans(x.shape[1], k_eff, niter=iters, seed=seed, verbose=False, min_points_per_centroid=1, nredo=3,
                      max_points_per_centroid=max(256, len(x) // max(k_eff, 1) + 1))
    km.train(x)
    cent = km.centroids
    if k_eff < k:  # pad with jittered copies so the codebook has its configured size
        rng = np.random.default_rng(seed)
        extra = cent[rng.integers(0, k_eff, k - k_eff)] + 1e-3 * rng.standard_normal((k - k_eff, x.shape[1]))
        cent = np.concatenate([cent, extra.astype(np.float32)])
    return cent
