"""Guarantee one distinct SID per item.

* ``reassign``: colliding items (all but the one nearest its code) move to the nearest free code
  on the last level under the same prefix; with ``sinkhorn_last_level`` the colliding items are
  first re-assigned jointly with Sinkhorn (balanced). A prefix with more items than last-level
  codes cannot be resolved this way, so those items fall back to an extra level (logged).
* ``dedup_level`` (TIGER): an extra level numbering the items that share a SID (0, 1, 2, ...).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from unisid.quantize.base import sinkhorn


def collision_rate(codes: np.ndarray) -> float:
    """1 - distinct SIDs / items (0 means every item has its own SID)."""
    if len(codes) == 0:
        return 0.0
    return 1.0 - len(np.unique(codes, axis=0)) / len(codes)


def n_colliding_items(codes: np.ndarray) -> int:
    _, inv, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return int((counts[inv.ravel()] > 1).sum())


def add_dedup_level(codes: np.ndarray) -> np.ndarray:
    """Append a level that numbers items sharing a SID; (n, L) -> (n, L+1)."""
    _, inv = np.unique(codes, axis=0, return_inverse=True)
    inv = inv.ravel()
    extra = np.zeros(len(codes), dtype=np.int64)
    seen: dict[int, int] = defaultdict(int)
    for i, g in enumerate(inv):
        extra[i] = seen[g]
        seen[g] += 1
    return np.concatenate([codes, extra[:, None]], 1)


def reassign_last_level(
    codes: np.ndarray, last_distances: np.ndarray, use_sinkhorn: bool = False,
    epsilon: float = 0.003, iters: int = 50,
) -> tuple[np.ndarray, dict]:
    codes = codes.copy()
    info = {"sinkhorn_moved": 0, "greedy_moved": 0, "fallback_dedup_items": 0}
    k_last = last_distances.shape[1]
    if use_sinkhorn and collision_rate(codes) > 0:
        _, inv, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
        coll = np.flatnonzero(counts[inv.ravel()] > 1)
        new = sinkhorn(torch.from_numpy(last_distances[coll]), epsilon, iters).argmax(1).numpy()
        info["sinkhorn_moved"] = int((new != codes[coll, -1]).sum())
        codes[coll, -1] = new
    # greedy: per colliding group keep the item nearest its code, move the others
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, row in enumerate(map(tuple, codes)):
        groups[row].append(i)
    used: dict[tuple, set[int]] = defaultdict(set)  # prefix -> used last codes
    for row in groups:
        used[row[:-1]].add(row[-1])
    unresolved: list[int] = []
    for row, members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda i: last_distances[i, row[-1]])
        prefix = row[:-1]
        for i in members[1:]:
            for c in np.argsort(last_distances[i]):
                if int(c) not in used[prefix]:
                    used[prefix].add(int(c))
                    codes[i, -1] = int(c)
                    info["greedy_moved"] += 1
                    break
            else:
                unresolved.append(i)
    if unresolved:
        info["fallback_dedup_items"] = len(unresolved)
        codes = add_dedup_level(codes)
    assert k_last > 0
    return codes, info


def resolve_collisions(
    codes: np.ndarray, strategy: str, last_distances: np.ndarray | None = None, use_sinkhorn: bool = False,
    epsilon: float = 0.003, iters: int = 50,
) -> tuple[np.ndarray, dict]:
    before = collision_rate(codes)
    if before == 0:
        out, info = codes, {}
    elif strategy == "dedup_level":
        out, info = add_dedup_level(codes), {}
    elif strategy == "reassign":
        if last_distances is None:
            raise ValueError("reassign needs the last-level distances")
        out, info = reassign_last_level(codes, last_distances, use_sinkhorn, epsilon, iters)
    else:
        raise ValueError(f"unknown collision strategy {strategy!r}")
    info.update({"strategy": strategy, "collision_rate_before": before, "collision_rate_after": collision_rate(out),
                 "levels": int(out.shape[1])})
    assert info["collision_rate_after"] == 0.0
    return out, info
