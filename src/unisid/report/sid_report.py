"""SID quality report: collisions, code usage, and how well SID prefixes group items that are
alike in text (semantic consistency) and in behaviour (collaborative consistency)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp

from unisid.quantize.collisions import collision_rate


def prefix_groups(codes: np.ndarray, depth: int) -> np.ndarray:
    """Group id of each item's first ``depth`` codes, (n,)."""
    _, inv = np.unique(codes[:, :depth], axis=0, return_inverse=True)
    return inv.ravel()


def within_group_cosine(emb: np.ndarray, groups: np.ndarray) -> float:
    """Mean cosine over all pairs of distinct items in the same group (exact, via group sums)."""
    x = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    n_groups = groups.max() + 1
    onehot = sp.csr_matrix((np.ones(len(x)), (groups, np.arange(len(x)))), shape=(n_groups, len(x)))
    sums = onehot @ x  # (G, d)
    sizes = np.bincount(groups, minlength=n_groups)
    pairs = (sizes * (sizes - 1)).sum()
    if pairs == 0:
        return float("nan")
    return float(((sums**2).sum(1) - sizes).sum() / pairs)


def random_pair_cosine(emb: np.ndarray) -> float:
    return within_group_cosine(emb, np.zeros(len(emb), dtype=np.int64))


def co_interaction_rate(co: sp.csr_matrix, groups: np.ndarray | None) -> float:
    """Share of same-group item pairs that some user interacted with both (in train), from the
    item co-occurrence matrix. ``groups=None`` gives the rate over all item pairs (the random
    baseline)."""
    co = co.tocoo()
    off = co.row != co.col
    r, c = co.row[off], co.col[off]
    n = co.shape[1]
    if groups is None:
        return float(len(r) / max(1, n * (n - 1)))
    sizes = np.bincount(groups)
    pairs = (sizes * (sizes - 1)).sum()
    return float((groups[r] == groups[c]).sum() / pairs) if pairs else float("nan")


def level_usage(codes: np.ndarray, codebook_sizes: list[int]) -> list[dict]:
    out = []
    for lv in range(codes.shape[1]):
        counts = np.bincount(codes[:, lv])
        counts = counts[counts > 0]
        p = counts / counts.sum()
        size = codebook_sizes[lv] if lv < len(codebook_sizes) else int(codes[:, lv].max()) + 1
        out.append({
            "level": lv + 1,
            "codebook_size": int(size),
            "codes_used": int(len(counts)),
            "usage": float(len(counts) / size),
            "perplexity": float(np.exp(-(p * np.log(p)).sum())),
            "max_items_per_code": int(counts.max()),
        })
    return out


def category_purity(codes: np.ndarray, top_categories: list[str]) -> float:
    groups = prefix_groups(codes, 1)
    total = 0
    for g in np.unique(groups):
        cats = Counter(top_categories[i] for i in np.flatnonzero(groups == g))
        total += cats.most_common(1)[0][1]
    return float(total / len(codes))


def transition_information(codes: np.ndarray, prev: np.ndarray, nxt: np.ndarray) -> dict:
    """How much a level-1 code tells about the next item's level-1 code, over train transitions
    (item ``prev[i]`` followed by ``nxt[i]``): what a generative recommender must predict first.
    Entropies in bits; random = same-code rate of independent draws from the code frequencies.
    Plug-in estimates: with K^2 code pairs and fewer transitions the mutual information is biased
    upward (by a similar amount for SIDs of similar code usage on the same data), so compare it
    across tokenizers; ``same_level1_rate`` has no such bias."""
    a, b = codes[prev, 0], codes[nxt, 0]
    k = int(codes[:, 0].max()) + 1
    joint = np.zeros((k, k))
    np.add.at(joint, (a, b), 1.0)
    p = joint / joint.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    h_next = float(-(pb[pb > 0] * np.log2(pb[pb > 0])).sum())
    h_cond = float(-(p[nz] * np.log2(p[nz] / np.broadcast_to(pa[:, None], p.shape)[nz])).sum())
    return {"next_level1_entropy": h_next, "next_level1_given_prev_entropy": h_cond,
            "mutual_information_level1": h_next - h_cond, "same_level1_rate": float((a == b).mean()),
            "same_level1_random": float((pa * pb).sum())}


def sid_report(
    codes: np.ndarray,
    codebook_sizes: list[int],
    text_emb: np.ndarray,
    cf_emb: np.ndarray,
    cooccurrence: sp.csr_matrix,
    top_categories: list[str] | None = None,
    codes_before: np.ndarray | None = None,
    collision_info: dict | None = None,
    gates: np.ndarray | None = None,
    cold: np.ndarray | None = None,
    transitions: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Everything ``sid_report.json`` holds; ``codes`` are the final SIDs (n, L)."""
    rep: dict = {
        "n_items": int(len(codes)),
        "n_levels": int(codes.shape[1]),
        "collision_rate_before": float(collision_rate(codes_before if codes_before is not None else codes)),
        "collision_rate": float(collision_rate(codes)),
        "levels": level_usage(codes, codebook_sizes),
    }
    if collision_info:
        rep["collision_handling"] = collision_info
    g1 = prefix_groups(codes, 1)
    g12 = prefix_groups(codes, min(2, codes.shape[1]))
    rep["semantic_consistency"] = {
        "level1": within_group_cosine(text_emb, g1),
        "level12": within_group_cosine(text_emb, g12),
        "random": random_pair_cosine(text_emb),
    }
    rep["collaborative_consistency"] = {
        "level1": within_group_cosine(cf_emb, g1),
        "level12": within_group_cosine(cf_emb, g12),
        "random": random_pair_cosine(cf_emb),
        "co_interaction_level1": co_interaction_rate(cooccurrence, g1),
        "co_interaction_level12": co_interaction_rate(cooccurrence, g12),
        "co_interaction_random": co_interaction_rate(cooccurrence, None),
    }
    if transitions is not None and len(transitions[0]):
        rep["sequential_consistency"] = transition_information(codes, *transitions)
    if top_categories is not None:
        rep["category_purity_level1"] = category_purity(codes, top_categories)
        rep["category_purity_random"] = float(Counter(top_categories).most_common(1)[0][1] / len(codes))
    if gates is not None:
        g = np.asarray(gates, dtype=np.float64)
        g = g.mean(axis=tuple(range(1, g.ndim))) if g.ndim > 1 else g
        summary = {"mean": float(g.mean()), "std": float(g.std()), "p10": float(np.percentile(g, 10)),
                   "p90": float(np.percentile(g, 90)), "meaning": "text weight g in g*text + (1-g)*cf"}
        if cold is not None and cold.any() and (~cold).any():
            summary["mean_cold_items"] = float(g[cold].mean())
            summary["mean_warm_items"] = float(g[~cold].mean())
        rep["gates"] = summary
    return rep
