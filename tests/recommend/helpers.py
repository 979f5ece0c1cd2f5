"""Shared test helpers for the generative backbones: a context with random SIDs, the resume check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from unisid.config import Config
from unisid.data import LeaveOneOut, generate_synthetic
from unisid.recommend import RecContext
from unisid.runs import Run


def sid_context(tmp_path: Path, cfg: Config, n_users: int, n_items: int, n_intents: int) -> RecContext:
    """Synthetic data (4 categories) with distinct random 3 x 4 SIDs in ``tmp_path/run``."""
    ds = generate_synthetic(n_users, n_items, n_categories=4, n_intents=n_intents, seed=1)
    split = LeaveOneOut.from_dataset(ds)
    rng = np.random.default_rng(0)
    codes = np.unique(rng.integers(0, 4, (n_items * 3, 3)), axis=0)[:n_items]
    rng.shuffle(codes)
    return RecContext(cfg, Run(tmp_path / "run", cfg), ds, split, codes, [4, 4, 4])


TIGER_TINY = ["recommender.tiger.d_model=32", "recommender.tiger.d_ff=64", "recommender.tiger.num_layers=1",
        "recommender.tiger.num_decoder_layers=1", "recommender.tiger.num_heads=2", "recommender.tiger.d_kv=16",
        "recommender.tiger.user_tokens=10", "recommender.tiger.batch_size=64", "recommender.tiger.valid_users=60",
        "recommender.tiger.warmup_steps=5"]
"""A 1+1-layer TIGER that trains in seconds."""


class Stop(Exception):
    pass


def check_resume(go: Callable[..., object], tmp_path: Path, stop_after: int) -> dict[str, torch.Tensor]:
    """``go(root, on_epoch_end=None)`` trains in ``root``; returns the best checkpoint's tensors."""
    full = go(tmp_path / "a")

    def crash(epoch: int) -> None:
        if epoch == stop_after:
            raise Stop

    with pytest.raises(Stop):
        go(tmp_path / "b", on_epoch_end=crash)
    resumed = go(tmp_path / "b")
    assert resumed.history["loss"] == pytest.approx(full.history["loss"], rel=1e-6)
    assert resumed.history["valid_ndcg@10"] == pytest.approx(full.history["valid_ndcg@10"])
    np.testing.assert_array_equal(resumed.test, full.test)
    a = load_file(tmp_path / "a" / "run" / "rec" / "best_model.safetensors")
    b = load_file(tmp_path / "b" / "run" / "rec" / "best_model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    return a
