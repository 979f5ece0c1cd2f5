"""Benchmark: LC-Rec (SmolLM2-135M + LoRA) on Office, text vs uqf SIDs, at the reduced CPU budget.

    python benchmarks/lcrec_office.py [--fusions text uqf] [--seed 42] [--set k=v ...]

Runs `unisid run configs/office-<fusion>-lcrec.yaml` into runs/bench/office-<fusion>-lcrec-s<seed>
(cached stages are reused), then writes benchmarks/results/lcrec_office.{md,json}: test metrics on
the configs' fixed user sample, the paired comparison, training tokens/s and decoding users/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, header, table, write_results  # noqa: E402

KEYS = ["recall@5", "recall@10", "ndcg@5", "ndcg@10"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fusions", nargs="+", default=["text", "uqf"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--set", dest="sets", nargs="*", default=[], help="extra overrides for every run (k=v)")
    ap.add_argument("--note", default="", help="free text appended to the .md")
    args = ap.parse_args()
    from unisid.evaluate import compare_runs

    runs, commands, rows, summary = {}, [], [], {}
    for f in args.fusions:
        run = ROOT / "runs" / "bench" / f"office-{f}-lcrec-s{args.seed}"
        cmd = ["unisid", "run", f"configs/office-{f}-lcrec.yaml", "--set", f"seed={args.seed}",
               *sum([["--set", kv] for kv in args.sets], []), "--out", str(run.relative_to(ROOT))]
        commands.append(" ".join(cmd))
        subprocess.run(cmd, cwd=ROOT, check=True)
        runs[f] = run
        m = json.loads((run / "metrics.json").read_text())
        h = json.loads((run / "rec" / "history.json").read_text())
        st = json.loads((run / "manifest.json").read_text())["stages"]
        summary[f] = {k: m["test"][k] for k in KEYS} | {"evaluated_users": m.get("evaluated_users"),
                                                        "train_tokens_per_s": h["tokens_per_s"][-1],
                                                        "decode_users_per_s": h["test_decode_users_per_s"]}
        rows.append({"fusion": f, **{k: m["test"][k] for k in KEYS}, "users": m.get("evaluated_users", "all"),
                     "prompts": sum(h["task_counts"].values()), "tokens/epoch": h["tokens_per_epoch"],
                     "train tokens/s": h["tokens_per_s"][-1], "decode users/s": h["test_decode_users_per_s"],
                     "recommend s": st["recommend"]["seconds"]})
    md = header("LC-Rec (SmolLM2-135M-Instruct + LoRA) on Amazon Office: text vs uqf SIDs, reduced CPU budget")
    md += "Commands:\n\n" + "".join(f"- `{c}`\n" for c in commands)
    h = json.loads((runs[args.fusions[0]] / "rec" / "history.json").read_text())
    md += f"\nTraining prompts per task: {h['task_counts']}.\n\n## Test metrics\n\n"
    md += table(rows, list(rows[0]), {"tokens/epoch": "{}", "train tokens/s": "{:.0f}", "decode users/s": "{:.2f}",
                                      "recommend s": "{:.0f}"})
    if "text" in runs and "uqf" in runs:
        cmp = [c for c in compare_runs(runs["text"], runs["uqf"]) if c.metric in KEYS]
        md += "\n## uqf vs text (`unisid compare`, same users; B = uqf, A = text)\n\n"
        md += table([vars(c) for c in cmp], ["metric", "a", "b", "delta", "t_pvalue", "bootstrap_pvalue"])
    write_results("lcrec_office", md, summary, args.note)


if __name__ == "__main__":
    main()
