"""``report.html``: a self-contained page (PNG plots inlined) for one run directory."""

from __future__ import annotations

import base64
import html
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from unisid.data import Dataset
from unisid.io import read_json, write_text
from unisid.report.plots import save_figure


def plot_training(history: dict, path: Path) -> bool:
    if not history.get("epoch"):
        return False
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
    ax[0].plot(history["epoch"], history["loss"], marker="o")
    ax[0].set(title="training loss", xlabel="epoch")
    ax[1].plot(history["epoch"], history["valid_ndcg@10"], marker="o", label="NDCG@10")
    ax[1].plot(history["epoch"], history["valid_recall@10"], marker="s", label="Recall@10")
    if history.get("best_epoch", -1) > 0:
        ax[1].axvline(history["best_epoch"], color="grey", ls="--", lw=1, label="best")
    ax[1].set(title="validation", xlabel="epoch")
    ax[1].legend(fontsize=8)
    save_figure(fig, path)
    return True


def plot_sid_tree(sids: dict[str, list[str]], ds: Dataset, path: Path, n1: int = 3, n2: int = 2, n3: int = 3) -> None:
    """A sample of the SID prefix tree: the busiest level-1 codes, their busiest level-2 children,
    and a few items (remaining codes + title) at the leaves."""
    title = {iid: it.title or "(no title)" for iid, it in zip(ds.item_ids, ds.items, strict=True)}
    rows = [(iid, toks) for iid, toks in sids.items() if iid in title and len(toks) > 1]
    x_root, x1, x2, x3 = 0.0, 0.08, 0.22, 0.38
    lines: list[tuple[float, float, float, float]] = []
    labels: list[tuple[float, float, str, str]] = []  # x, y, text, weight
    y = 0.0
    level1_ys = []
    for c1, _ in Counter(t[0] for _, t in rows).most_common(n1):
        sub = [(i, t) for i, t in rows if t[0] == c1]
        level2_ys = []
        for c2, _ in Counter(t[1] for _, t in sub).most_common(n2):
            leaf_ys = []
            for iid, toks in [(i, t) for i, t in sub if t[1] == c2][:n3]:
                labels.append((x3, y, "".join(toks[2:]) + "  " + title[iid][:60], "normal"))
                leaf_ys.append(y)
                y += 1
            y2 = float(np.mean(leaf_ys))
            labels.append((x2, y2, c2, "normal"))
            lines += [(x2 + 0.07, y2, x3 - 0.005, ly) for ly in leaf_ys]
            level2_ys.append(y2)
        y1 = float(np.mean(level2_ys))
        labels.append((x1, y1, c1, "bold"))
        lines += [(x1 + 0.07, y1, x2 - 0.005, ly) for ly in level2_ys]
        level1_ys.append(y1)
        y += 0.6
    y_root = float(np.mean(level1_ys)) if level1_ys else 0.0
    labels.append((x_root, y_root, "root", "bold"))
    lines += [(x_root + 0.04, y_root, x1 - 0.005, ly) for ly in level1_ys]
    fig, ax = plt.subplots(figsize=(11, 0.32 * max(y, 3) + 1), constrained_layout=True)
    ax.axis("off")
    for xa, ya, xb, yb in lines:
        ax.plot([xa, xb], [-ya, -yb], color="lightgrey", lw=0.8)
    for x, yy, text, weight in labels:
        ax.text(x, -yy, text, va="center", fontsize=8, weight=weight)
    ax.set_xlim(0, 1)
    ax.set_ylim(-max(y, 1), 1)
    ax.set_title("sample of the SID prefix tree (busiest prefixes; item titles at the leaves)", fontsize=10)
    save_figure(fig, path)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%">'


def _metrics_table(metrics: dict) -> str:
    note = (f"<p>Evaluated on a fixed sample of {metrics['evaluated_users']:,} users.</p>"
            if "evaluated_users" in metrics else "")
    metrics = {k: v for k, v in metrics.items() if isinstance(v, dict)}
    keys = sorted({k for v in metrics.values() for k in v}, key=lambda k: (k.split("@")[0], int(k.split("@")[1])))
    head = "".join(f"<th>{k}</th>" for k in keys)
    body = "".join(
        f"<tr><td>{stage}</td>" + "".join(f"<td>{metrics[stage].get(k, float('nan')):.4f}</td>" for k in keys) + "</tr>"
        for stage in metrics
    )
    return f"{note}<table><tr><th>split</th>{head}</tr>{body}</table>"


def _sid_table(rep: dict) -> str:
    rows = [("items", rep["n_items"]), ("levels", rep["n_levels"]),
            ("collision rate (before handling)", f"{rep['collision_rate_before']:.4f}"),
            ("collision rate", f"{rep['collision_rate']:.4f}")]
    for lv in rep["levels"]:
        rows.append((f"level {lv['level']} codes used / size (perplexity)",
                     f"{lv['codes_used']}/{lv['codebook_size']} ({lv['perplexity']:.1f})"))
    for name in ("semantic_consistency", "collaborative_consistency", "sequential_consistency"):
        for k, v in rep.get(name, {}).items():
            rows.append((f"{name.replace('_', ' ')}: {k}", f"{v:.4f}"))
    if "category_purity_level1" in rep:
        rows.append(("category purity level 1 (majority baseline)",
                     f"{rep['category_purity_level1']:.3f} ({rep['category_purity_random']:.3f})"))
    for k, v in rep.get("gates", {}).items():
        rows.append((f"gate {k}", f"{v:.3f}" if isinstance(v, float) else v))
    return "<table>" + "".join(f"<tr><td>{html.escape(str(a))}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"


def _popularity_table(run_dir: Path, ds: Dataset) -> str:
    """Test metrics per bucket of the target item's train interaction count: does the model reach
    the long tail or only popular items?"""
    from unisid.data import LeaveOneOut
    from unisid.evaluate import by_target_popularity, load_per_user

    users, pu = load_per_user(run_dir, "test")
    index = {u: i for i, u in enumerate(ds.user_ids)}
    rows = by_target_popularity(pu, LeaveOneOut.from_dataset(ds), "test",
                                np.array([index[str(u)] for u in users]))  # the evaluated users
    head = "".join(f"<th>{k}</th>" for k in ("target train interactions", "users", "recall@10", "ndcg@10"))
    body = "".join(f"<tr><td>{r['group']}</td><td>{r['users']}</td><td>{r['recall@10']:.4f}</td>"
                   f"<td>{r['ndcg@10']:.4f}</td></tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(run_dir: Path, ds: Dataset) -> Path:
    run_dir = Path(run_dir)
    figs = run_dir / "figures"
    figs.mkdir(exist_ok=True)
    cfg_text = (run_dir / "config.yaml").read_text() if (run_dir / "config.yaml").exists() else ""
    parts = [f"<h1>unisid run: {html.escape(run_dir.name)}</h1>", f"<p>dataset <b>{html.escape(ds.name)}</b>: "
             f"{ds.n_users:,} users, {ds.n_items:,} items, {ds.n_interactions:,} interactions</p>"]
    if (run_dir / "metrics.json").exists():
        parts += ["<h2>Metrics (full ranking, leave-one-out)</h2>", _metrics_table(read_json(run_dir / "metrics.json"))]
    if (run_dir / "per_user" / "test.npz").exists():
        parts += ["<h2>Test metrics by target-item popularity</h2>", _popularity_table(run_dir, ds)]
    hist_path = run_dir / "rec" / "history.json"
    if hist_path.exists() and plot_training(read_json(hist_path), figs / "training.png"):
        parts += ["<h2>Training and validation</h2>", _img(figs / "training.png")]
    if (run_dir / "sid_report.json").exists():
        parts += ["<h2>SIDs</h2>", _img(run_dir / "sid_report.png"), _sid_table(read_json(run_dir / "sid_report.json"))]
    if (run_dir / "sids.json").exists():
        plot_sid_tree(read_json(run_dir / "sids.json"), ds, figs / "sid_tree.png")
        parts += ["<h2>SID prefix tree (sample)</h2>", _img(figs / "sid_tree.png")]
    parts += ["<h2>Resolved config</h2>", f"<pre>{html.escape(cfg_text)}</pre>"]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "td:first-child{text-align:left}pre{background:#f6f6f6;padding:1em}")
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>unisid report</title><style>{style}</style>" \
           f"</head><body>{''.join(parts)}</body></html>"
    out = run_dir / "report.html"
    write_text(out, page)
    return out

