"""Full-ranking leave-one-out metrics.

One held-out item per user, so Recall@K equals HR@K, and NDCG@K = 1 / log2(rank + 2) when the
target is at 0-based ``rank < K``. A ranked list shorter than K counts its missing slots as misses;
repeated or unknown item ids are errors (they would inflate or corrupt the metrics).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from unisid.errors import UnisidError

DEFAULT_KS = (1, 5, 10, 20)


def metric_names(ks: Sequence[int] = DEFAULT_KS) -> list[str]:
    return [f"recall@{k}" for k in ks] + [f"ndcg@{k}" for k in ks]


def target_ranks(rankings: Sequence[Sequence[int]] | np.ndarray, targets: np.ndarray, n_items: int) -> np.ndarray:
    """0-based rank of each user's target in its ranked list; ``-1`` when absent. Validates lists."""
    targets = np.asarray(targets)
    if len(rankings) != len(targets):
        raise UnisidError(f"got {len(rankings)} ranked lists for {len(targets)} users")
    ranks = np.full(len(targets), -1, dtype=np.int64)
    for u, lst in enumerate(rankings):
        arr = np.asarray(lst, dtype=np.int64).ravel()
        if arr.size and (arr.min() < 0 or arr.max() >= n_items):
            bad = arr[(arr < 0) | (arr >= n_items)][0]
            raise UnisidError(f"ranked list of user {u} contains unknown item id {bad}")
        if np.unique(arr).size != arr.size:
            vals, counts = np.unique(arr, return_counts=True)
            raise UnisidError(f"ranked list of user {u} repeats item id {vals[counts > 1][0]}")
        hit = np.flatnonzero(arr == targets[u])
        if hit.size:
            ranks[u] = hit[0]
    return ranks


def per_user_metrics(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> dict[str, np.ndarray]:
    ranks = np.asarray(ranks)
    hit_any = ranks >= 0
    gain = np.where(hit_any, 1.0 / np.log2(np.maximum(ranks, 0) + 2.0), 0.0)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        inside = hit_any & (ranks < k)
        out[f"recall@{k}"] = inside.astype(np.float64)
        out[f"ndcg@{k}"] = np.where(inside, gain, 0.0)
    return out


def evaluate_rankings(
    rankings: Sequence[Sequence[int]] | np.ndarray,
    targets: np.ndarray,
    n_items: int,
    ks: Sequence[int] = DEFAULT_KS,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Mean metrics and per-user arrays from ranked item lists."""
    per_user = per_user_metrics(target_ranks(rankings, targets, n_items), ks)
    return {k: float(v.mean()) for k, v in per_user.items()}, per_user


def topk_from_scores(scores: torch.Tensor, k: int, exclude: list[np.ndarray] | None = None) -> np.ndarray:
    """Top-k item ids from a (n_users, n_items) score matrix; ``exclude`` masks items per user."""
    scores = scores.float().clone()
    if exclude is not None:
        for u, items in enumerate(exclude):
            if len(items):
                scores[u, torch.as_tensor(items)] = float("-inf")
    return torch.topk(scores, min(k, scores.shape[1]), dim=1).indices.cpu().numpy()


def metrics_by_group(per_user: dict[str, np.ndarray], group: np.ndarray, labels: Sequence[str]) -> list[dict]:
    """Mean per-user metrics within each group (e.g. target-item popularity bucket ``group[u]`` in
    ``0..len(labels)-1``): one row per group with its label and user count."""
    group = np.asarray(group)
    rows = []
    for g, label in enumerate(labels):
        sel = group == g
        rows.append({"group": label, "users": int(sel.sum()),
                     **{k: float(v[sel].mean()) if sel.any() else float("nan") for k, v in per_user.items()}})
    return rows


def by_target_popularity(per_user: dict[str, np.ndarray], split, stage: str = "test",
                         users: np.ndarray | None = None, edges: Sequence[int] = (5, 10, 20, 40)) -> list[dict]:
    """``metrics_by_group`` over buckets of the target item's train interaction count; ``users``
    = the split's user indices the per-user arrays belong to (default: every user)."""
    _, items = split.train_interactions()
    group, labels = popularity_groups(np.bincount(items, minlength=split.n_items), split.targets(stage), edges)
    return metrics_by_group(per_user, group if users is None else group[users], labels)


def popularity_groups(counts: np.ndarray, targets: np.ndarray, edges: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    """Bucket each user's target item by its train interaction count: ``edges`` (ascending upper
    bounds, inclusive) give buckets ``<=e0``, ``e0+1..e1``, ..., ``>e_last``. Returns (group per user, labels)."""
    c = np.asarray(counts)[np.asarray(targets)]
    group = np.searchsorted(np.asarray(edges), c, side="left")
    labels, lo = [], 0
    for e in edges:
        labels.append(f"{lo}-{e}")
        lo = e + 1
    labels.append(f">{edges[-1]}")
    return group, labels
