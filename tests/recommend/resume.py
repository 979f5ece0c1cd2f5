"""Shared check: an interrupted then resumed training ends exactly like an uninterrupted one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file


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
