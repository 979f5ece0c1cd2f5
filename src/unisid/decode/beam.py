"""Batched beam search constrained by a SID trie.

The model is abstracted as a ``step`` function returning log-probabilities over the level's K
codes (normalised over the model's full vocabulary, so scores are true sequence
log-probabilities) and the new cache; ``reorder(cache, idx, expand)`` selects rows of the cache.
Level 0 runs once per user (B rows: every beam would be the same), then the cache is expanded to
B*W beams (``expand=True``); later levels run once per beam and reorders never move a row to
another user's block (``expand=False``), so per-user state such as cross-attention keys/values
need not be touched. The trie mask for every beam of every user is one gather
per step; there is no Python loop over users or beams.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from unisid.decode.trie import SIDTrie

StepFn = Callable[[int, torch.Tensor | None, Any], tuple[torch.Tensor, Any]]
ReorderFn = Callable[[Any, torch.Tensor, bool], Any]


@torch.no_grad()
def constrained_beam_search(
    step: StepFn, reorder: ReorderFn, cache: Any, batch: int, trie: SIDTrie, beam: int, topk: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``topk`` distinct items per user, best first: (item ids (B, topk), scores (B, topk)).

    ``step(level, codes_prev, cache)`` -> (logp, cache): at level 0 ``codes_prev`` is None and logp
    is (B, K); after that ``codes_prev`` is the (B*W,) code chosen at the previous level and logp is
    (B*W, K). Beams that run out of valid continuations get score -inf and item -1 (only when
    fewer than ``beam`` items exist under the trie).
    """
    if topk > beam:
        raise ValueError(f"topk ({topk}) cannot exceed the beam size ({beam})")
    w = beam
    k_codes = trie.child.shape[1]
    neg_inf = torch.tensor(float("-inf"))
    base = (torch.arange(batch) * w).unsqueeze(1)  # (B, 1) offsets into the flat beam axis
    scores = torch.zeros(batch, 1)  # (B, beams so far): one beam per user at level 0
    nodes = torch.zeros(batch, 1, dtype=torch.long)
    prev: torch.Tensor | None = None
    for level in range(trie.n_levels):
        logp, cache = step(level, prev, cache)  # (B * beams, K')
        logp = logp[:, :k_codes].float().view(batch, nodes.shape[1], -1)
        if logp.shape[-1] < k_codes:
            logp = torch.nn.functional.pad(logp, (0, k_codes - logp.shape[-1]), value=float("-inf"))
        allowed = trie.allowed[nodes]  # (B, beams, K): one gather
        cand = torch.where(allowed, scores.unsqueeze(-1) + logp, neg_inf)
        flat_cand = cand.view(batch, -1)
        if flat_cand.shape[1] < w:  # fewer candidates than beams: pad with dead ones
            flat_cand = torch.nn.functional.pad(flat_cand, (0, w - flat_cand.shape[1]), value=float("-inf"))
        scores, flat = flat_cand.topk(w, dim=1)  # (B, W)
        parent = (flat // k_codes).clamp_max(nodes.shape[1] - 1)
        code = flat % k_codes
        nodes = trie.child[torch.gather(nodes, 1, parent), code]  # (B, W)
        prev = code.view(-1)
        if level < trie.n_levels - 1:
            # level 0: row b of the cache -> rows b*W..b*W+W-1 ; later: pick each beam's parent
            rows = parent + (torch.arange(batch).unsqueeze(1) if level == 0 else base)
            cache = reorder(cache, rows.view(-1), level == 0)
    items = trie.leaf_item[nodes]  # (B, W)
    items = torch.where(torch.isfinite(scores), items, torch.full_like(items, -1))
    return items[:, :topk].numpy(), scores[:, :topk].numpy()
