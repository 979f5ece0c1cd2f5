"""PNG plots (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from unisid.io import atomic_path  # noqa: E402


def save_figure(fig, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_sid_report(codes: np.ndarray, report: dict, path: str | Path, title: str = "") -> None:
    """Code usage per level (items per code, sorted) and the consistency figures."""
    n_levels = codes.shape[1]
    fig, axes = plt.subplots(1, n_levels + 1, figsize=(3.6 * (n_levels + 1), 3.6), constrained_layout=True)
    for lv in range(n_levels):
        ax = axes[lv]
        counts = np.sort(np.bincount(codes[:, lv]))[::-1]
        info = report["levels"][lv]
        ax.bar(np.arange(len(counts)), counts, width=1.0, color="tab:blue")
        ax.set_title(f"level {lv + 1}: {info['codes_used']}/{info['codebook_size']} codes\n"
                     f"perplexity {info['perplexity']:.1f}", fontsize=9)
        ax.set_xlabel("code (sorted by use)")
        ax.set_ylabel("items")
    ax = axes[-1]
    sem, col = report["semantic_consistency"], report["collaborative_consistency"]
    labels = ["L1", "L1+2", "random"]
    x = np.arange(3)
    ax.bar(x - 0.2, [sem["level1"], sem["level12"], sem["random"]], 0.4, label="text cosine")
    ax.bar(x + 0.2, [col["level1"], col["level12"], col["random"]], 0.4, label="CF cosine")
    ax.set_xticks(x, labels)
    ax.set_title(f"prefix consistency\ncollision rate {report['collision_rate']:.3f}", fontsize=9)
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
