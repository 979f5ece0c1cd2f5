"""Token layout shared by the generative backbones: PAD=0, EOS=1, then each level's codes in its
own id range, then hashed user tokens."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

PAD, EOS = 0, 1


@dataclass
class SIDVocab:
    codebook_sizes: list[int]
    user_buckets: int = 0

    @property
    def offsets(self) -> list[int]:
        return [2 + sum(self.codebook_sizes[:lv]) for lv in range(len(self.codebook_sizes))]

    @property
    def user_offset(self) -> int:
        return 2 + sum(self.codebook_sizes)

    @property
    def size(self) -> int:
        return self.user_offset + self.user_buckets

    def item_tokens(self, codes: np.ndarray) -> np.ndarray:
        """(n, L) codes -> (n, L) token ids."""
        return codes + np.asarray(self.offsets)[None]

    def user_token(self, user_id: str) -> int:
        return self.user_offset + zlib.crc32(user_id.encode()) % self.user_buckets

    def encode_histories(self, histories: list[np.ndarray], item_tokens: np.ndarray,
                         user_ids: list[str] | None = None) -> list[np.ndarray]:
        """Per sample: [user token] + history item tokens + [EOS]."""
        out = []
        for i, h in enumerate(histories):
            parts = []
            if self.user_buckets and user_ids is not None:
                parts.append([self.user_token(user_ids[i])])
            parts.append(item_tokens[h].ravel())
            parts.append([EOS])
            out.append(np.concatenate(parts).astype(np.int64))
        return out


def pad_batch(seqs: list, pad: int = PAD, left: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pad token lists to the longest (right, or left for decoding prompts): (ids (B, S), mask (B, S))."""
    n = max(len(s) for s in seqs)
    ids = np.full((len(seqs), n), pad, dtype=np.int64)
    mask = np.zeros((len(seqs), n), dtype=np.int64)
    for i, s in enumerate(seqs):
        span = slice(n - len(s), n) if left else slice(0, len(s))
        ids[i, span] = s
        mask[i, span] = 1
    return ids, mask


def bucketed_batches(lengths: np.ndarray, batch_size: int, gen: np.random.Generator, chunk: int = 50) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding): shuffle, sort within chunks of
    ``chunk`` batches, split, shuffle batch order."""
    idx = gen.permutation(len(lengths))
    span = batch_size * chunk
    batches = []
    for s in range(0, len(idx), span):
        part = idx[s : s + span]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    order = gen.permutation(len(batches))
    return [batches[i] for i in order]
