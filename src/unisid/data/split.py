"""Leave-one-out protocol.

Per user: last item = test target, second-to-last = validation target, the rest = train part.
Histories are truncated to the last ``max_history`` items. Training samples are a sliding window
over the train part only, and ``train_interactions`` is the only interaction set any training
(LightGCN, fusion, recommenders) may see: neither ever contains a validation or test position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from unisid.data.dataset import Dataset


def cooccurrence(user_item: sp.csr_matrix) -> sp.csr_matrix:
    """(n_items, n_items) number of users who interacted with both items; zero diagonal."""
    x = (user_item > 0).astype(np.float32)
    co = (x.T @ x).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    return co


@dataclass
class LeaveOneOut:
    n_items: int
    train: list[np.ndarray]
    """Per user: train part of the sequence (all but the last two items)."""
    valid_target: np.ndarray  # (n_users,)
    test_target: np.ndarray  # (n_users,)
    max_history: int = 20

    @classmethod
    def from_dataset(cls, ds: Dataset, max_history: int = 20) -> LeaveOneOut:
        if any(len(s) < 3 for s in ds.sequences):
            raise ValueError("leave-one-out needs at least 3 interactions per user")
        return cls(
            n_items=ds.n_items,
            train=[s[:-2] for s in ds.sequences],
            valid_target=np.array([s[-2] for s in ds.sequences], dtype=np.int64),
            test_target=np.array([s[-1] for s in ds.sequences], dtype=np.int64),
            max_history=max_history,
        )

    @property
    def n_users(self) -> int:
        return len(self.train)

    def history(self, user: int, stage: str) -> np.ndarray:
        """Input history for evaluating ``user`` on ``stage`` ('valid' or 'test')."""
        if stage == "valid":
            h = self.train[user]
        elif stage == "test":
            h = np.append(self.train[user], self.valid_target[user])
        else:
            raise ValueError(f"stage must be 'valid' or 'test', not {stage!r}")
        return h[-self.max_history :]

    def histories(self, stage: str) -> list[np.ndarray]:
        return [self.history(u, stage) for u in range(self.n_users)]

    def targets(self, stage: str) -> np.ndarray:
        return self.valid_target if stage == "valid" else self.test_target

    def train_samples(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Sliding window over each train part: (histories, targets, user index) for every
        position t >= 1 of the train part (target = train[t], history = train[max(0,t-H):t])."""
        hist, tgt, users = [], [], []
        for u, seq in enumerate(self.train):
            for t in range(1, len(seq)):
                hist.append(seq[max(0, t - self.max_history) : t])
                tgt.append(seq[t])
                users.append(u)
        return hist, np.asarray(tgt, dtype=np.int64), np.asarray(users, dtype=np.int64)

    def train_transitions(self) -> tuple[np.ndarray, np.ndarray]:
        """(previous item, next item) of every consecutive pair in the train parts."""
        prev = [s[:-1] for s in self.train if len(s) > 1]
        nxt = [s[1:] for s in self.train if len(s) > 1]
        if not prev:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(prev).astype(np.int64), np.concatenate(nxt).astype(np.int64)

    def train_interactions(self) -> tuple[np.ndarray, np.ndarray]:
        """(users, items) of every train interaction, duplicates within a user removed."""
        users = np.concatenate([np.full(len(s), u, dtype=np.int64) for u, s in enumerate(self.train)])
        items = np.concatenate(self.train) if self.train else np.zeros(0, dtype=np.int64)
        pairs = np.unique(np.stack([users, items], 1), axis=0) if len(users) else np.zeros((0, 2), np.int64)
        return pairs[:, 0], pairs[:, 1]

    def train_matrix(self) -> sp.csr_matrix:
        """Binary user x item matrix of train interactions."""
        u, i = self.train_interactions()
        return sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=(self.n_users, self.n_items))

    def item_cooccurrence(self) -> sp.csr_matrix:
        return cooccurrence(self.train_matrix())

    def item_train_counts(self) -> np.ndarray:
        return np.bincount(np.concatenate(self.train), minlength=self.n_items) if self.train else np.zeros(self.n_items)
