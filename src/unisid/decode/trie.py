"""Prefix trie of all valid SIDs stored as dense tensors.

Nodes are the distinct SID prefixes (root = node 0); a dead node (last index) absorbs invalid
continuations. For a batch of beams at nodes ``node`` (any shape), the allowed next codes are
``trie.allowed[node]`` (one gather, (..., K) bool) and the next node after code ``c`` is
``trie.child[node, c]``. Leaves map to item ids via ``trie.leaf_item``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class SIDTrie:
    child: torch.Tensor  # (n_nodes + 1, K) int64, dead node where no child
    allowed: torch.Tensor  # (n_nodes + 1, K) bool
    leaf_item: torch.Tensor  # (n_nodes + 1,) int64, -1 for non-leaves
    n_levels: int
    codebook_sizes: list[int]

    @property
    def dead(self) -> int:
        return self.child.shape[0] - 1

    @classmethod
    def build(cls, codes: np.ndarray, codebook_sizes: list[int] | None = None) -> SIDTrie:
        """codes (n_items, L), distinct rows."""
        codes = np.asarray(codes, dtype=np.int64)
        n, n_levels = codes.shape
        if len(np.unique(codes, axis=0)) != n:
            raise ValueError("SIDs must be distinct to build a decoding trie")
        sizes = codebook_sizes or [int(codes[:, lv].max()) + 1 for lv in range(n_levels)]
        k = max(max(sizes), int(codes.max()) + 1)
        node_of_prefix: dict[tuple, int] = {(): 0}
        edges: list[tuple[int, int, int]] = []
        leaf: dict[int, int] = {}
        for item, row in enumerate(map(tuple, codes)):
            parent = 0
            for depth in range(1, n_levels + 1):
                pref = row[:depth]
                node = node_of_prefix.get(pref)
                if node is None:
                    node = node_of_prefix[pref] = len(node_of_prefix)
                    edges.append((parent, row[depth - 1], node))
                parent = node
            leaf[parent] = item
        n_nodes = len(node_of_prefix)
        dead = n_nodes
        child = torch.full((n_nodes + 1, k), dead, dtype=torch.long)
        e = torch.as_tensor(edges, dtype=torch.long)
        child[e[:, 0], e[:, 1]] = e[:, 2]
        leaf_item = torch.full((n_nodes + 1,), -1, dtype=torch.long)
        leaf_item[torch.as_tensor(list(leaf))] = torch.as_tensor(list(leaf.values()))
        return cls(child, child != dead, leaf_item, n_levels, list(sizes))

    def is_valid(self, sid: tuple[int, ...] | list[int]) -> bool:
        node = 0
        for c in sid:
            if c >= self.child.shape[1] or not self.allowed[node, c]:
                return False
            node = int(self.child[node, c])
        return bool(self.leaf_item[node] >= 0)
