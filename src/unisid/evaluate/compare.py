"""Paired comparison of two runs' per-user metrics (``unisid compare``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from unisid.errors import UnisidError
from unisid.io import read_npz, write_npz

PER_USER_DIR = "per_user"


def save_per_user(run_dir: Path, stage: str, users: list[str], per_user: dict[str, np.ndarray]) -> Path:
    path = run_dir / PER_USER_DIR / f"{stage}.npz"
    write_npz(path, users=np.asarray(users, dtype=str), **per_user)
    return path


def load_per_user(run_dir: Path, stage: str = "test") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    path = Path(run_dir) / PER_USER_DIR / f"{stage}.npz"
    if not path.exists():
        raise UnisidError(f"{run_dir} has no per-user metrics ({path}); is it a finished run directory?")
    z = read_npz(path)
    users = z.pop("users")
    return users, z


@dataclass
class MetricComparison:
    metric: str
    a: float
    b: float
    delta: float
    t_pvalue: float
    bootstrap_pvalue: float
    ci_low: float
    ci_high: float


def paired_compare(
    a: dict[str, np.ndarray], b: dict[str, np.ndarray], n_boot: int = 2000, seed: int = 0
) -> list[MetricComparison]:
    """Paired t-test and paired bootstrap (two-sided p, 95% CI of mean(b - a)) per common metric."""
    rng = np.random.default_rng(seed)
    out = []
    for m in [k for k in a if k in b]:
        x, y = np.asarray(a[m], float), np.asarray(b[m], float)
        d = y - x
        if np.allclose(d, 0):
            tp = 1.0
        else:
            tp = float(stats.ttest_rel(y, x).pvalue)
        idx = rng.integers(0, len(d), size=(n_boot, len(d)))
        boots = d[idx].mean(axis=1)
        centered = boots - d.mean()
        bp = float(min(1.0, (np.abs(centered) >= abs(d.mean())).mean())) if d.any() else 1.0
        lo, hi = np.percentile(boots, [2.5, 97.5])
        out.append(MetricComparison(m, float(x.mean()), float(y.mean()), float(d.mean()), tp, bp, float(lo), float(hi)))
    return out


def compare_runs(run_a: Path, run_b: Path, stage: str = "test") -> list[MetricComparison]:
    ua, ma = load_per_user(run_a, stage)
    ub, mb = load_per_user(run_b, stage)
    if not np.array_equal(ua, ub):
        common, ia, ib = np.intersect1d(ua, ub, return_indices=True)
        if len(common) == 0:
            raise UnisidError(f"{run_a} and {run_b} share no evaluated users")
        ma = {k: v[ia] for k, v in ma.items()}
        mb = {k: v[ib] for k, v in mb.items()}
    return paired_compare(ma, mb)
