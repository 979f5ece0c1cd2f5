"""Benchmark: classical baselines on Office with `unisid run`, same split and evaluator as the
generative models. Run directories go to runs/bench/office-<baseline> (read by office_table.py).

    python benchmarks/baselines_office.py [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, header, table  # noqa: E402

BASELINES = ["pop", "bprmf", "lightgcn", "sasrec", "sasrec-bce", "gru4rec", "bert4rec"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rows, commands = [], []
    for b in BASELINES:
        run = ROOT / "runs" / "bench" / f"office-{b}"
        cmd = ["unisid", "run", f"configs/office-{b}.yaml", "--set", f"seed={args.seed}", "--out", str(run)]
        commands.append(" ".join(cmd))
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        m = json.loads((run / "metrics.json").read_text())["test"]
        st = json.loads((run / "manifest.json").read_text())["stages"]
        hist = json.loads((run / "rec" / "history.json").read_text())
        rows.append({"baseline": b, "recall@5": m["recall@5"], "recall@10": m["recall@10"], "ndcg@5": m["ndcg@5"],
                     "ndcg@10": m["ndcg@10"], "train s": st["recommend"]["seconds"],
                     "best epoch": hist.get("best_epoch", "-")})
    md = header("Classical baselines on Amazon Office (test, full ranking)")
    md += ("Implementation: native (unisid.recommend.classical / sequential) on the shared training loop. RecBole "
           "1.2.1 was not used: its core data path calls `np.float` (removed in NumPy 1.24, so it fails on NumPy 2), "
           "its trainer reloads checkpoints with a bare `torch.load` (rejected by torch >= 2.6's weights_only "
           "default), and it pins ray <= 2.6.3.\n\n"
           "Protocol: leave-one-out, full ranking over all items, items already in the history are NOT excluded "
           "(`recommender.exclude_history: false`, the same as the generative models). Early stopping on validation "
           "NDCG@10. `train s` = wall time of training plus ranking valid and test users.\n\n")
    md += "Commands:\n\n" + "".join(f"- `{c}`\n" for c in commands) + "\n"
    md += table(rows, list(rows[0]), {"train s": "{:.0f}"})
    (RESULTS / "baselines_office.md").write_text(md)
    (RESULTS / "baselines_office.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(md)


if __name__ == "__main__":
    main()
