"""Benchmark: TIGER on Office for each fusion's SIDs, seeds, paired tests, throughput.

    python benchmarks/tiger_office.py [--fusions text cf concat unger uqf] [--seeds 42 43 44] [--multi text uqf]

Run directories: runs/bench/office-<fusion>-tiger-s<seed>. Fusions in --multi get every seed, the
others the first seed only. Writes benchmarks/results/tiger_office.{md,json}; the json holds
{"<fusion>": {"recall@5": mean, "recall@10": mean, "ndcg@5": mean, "ndcg@10": mean, "seeds": n}}.
Throughput is compared with a plain HF T5 (4+4 layers, d_model 128, d_ff 1024, fp32, unbucketed
batches) on the same training samples.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, header, table, write_results  # noqa: E402

KEYS = ["recall@5", "recall@10", "ndcg@5", "ndcg@10"]


def plain_t5_throughput(run: Path, steps: int = 30, batch: int = 256) -> float:
    """samples/s of a plain fp32 HF T5 training step on the run's training samples (random batches)."""
    import torch

    from unisid.config import TigerConfig, load_config
    from unisid.data import LeaveOneOut, load_dataset
    from unisid.io import read_npy
    from unisid.recommend.sid_vocab import SIDVocab, pad_batch
    from unisid.recommend.tiger import build_t5

    cfg = load_config(run / "config.yaml")
    ds = load_dataset(cfg.data.path, cfg.data, warn=False)
    split = LeaveOneOut.from_dataset(ds, cfg.data.max_history)
    codes = read_npy(run / "quantize" / "codes.npy")
    sizes = json.loads((run / "quantize" / "log.json").read_text())["codebook_sizes"]
    vocab = SIDVocab(sizes, 2000)
    toks = vocab.item_tokens(codes)
    hist, tgt, users = split.train_samples()
    inputs = vocab.encode_histories(hist, toks, [ds.user_ids[u] for u in users])
    model = build_t5(TigerConfig(d_model=128, d_ff=1024, num_layers=4, num_decoder_layers=4), vocab.size)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    t0, n = None, 0
    for step in range(steps + 3):
        if step == 3:
            t0, n = time.perf_counter(), 0
        b = rng.choice(len(inputs), batch, replace=False)
        ids, mask = pad_batch([inputs[i] for i in b])
        loss = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                     labels=torch.from_numpy(toks[tgt[b]])).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        n += batch
    return n / (time.perf_counter() - t0)


def popularity_section(runs: dict[str, list[Path]]) -> str:
    """Test Recall@10 / NDCG@10 per bucket of the target item's train interaction count (first seed)."""
    from unisid.config import load_config
    from unisid.data import LeaveOneOut, load_dataset
    from unisid.evaluate import by_target_popularity, load_per_user

    first = next(iter(runs.values()))[0]
    cfg = load_config(first / "config.yaml")
    ds = load_dataset(cfg.data.path, cfg.data, warn=False)
    split = LeaveOneOut.from_dataset(ds, cfg.data.max_history)
    rows = []
    for f, rs in runs.items():
        users, pu = load_per_user(rs[0], "test")
        if len(users) != ds.n_users:
            continue
        for r in by_target_popularity(pu, split):
            rows.append({"fusion": f, "target train interactions": r["group"], "users": r["users"],
                         "recall@10": r["recall@10"], "ndcg@10": r["ndcg@10"]})
    return ("\n## By target-item popularity (test, first seed)\n\nUsers grouped by how often their test item "
            "occurs in the training interactions.\n\n" + table(rows, list(rows[0])) if rows else "")


def sid_section(runs: dict[str, list[Path]], summary: dict) -> str:
    """SID-report figures next to TIGER's test Recall@10 (first seed's SIDs): which property of the
    SIDs goes with TIGER accuracy?"""
    rows = []
    for f, rs in runs.items():
        rep = json.loads((rs[0] / "sid_report.json").read_text())
        sem, col, seq = rep["semantic_consistency"], rep["collaborative_consistency"], rep.get("sequential_consistency", {})
        rows.append({"fusion": f, "test recall@10 (mean)": summary[f]["recall@10"], "text cos L1": sem["level1"],
                     "CF cos L1": col["level1"], "co-interaction L1": col["co_interaction_level1"],
                     "next-L1 info (bits)": seq.get("mutual_information_level1", float("nan")),
                     "same L1 as previous": seq.get("same_level1_rate", float("nan"))})
    return ("\n## SID properties next to TIGER accuracy\n\nFrom each run's sid_report.json: mean text / LightGCN "
            "cosine and co-interaction rate of items sharing a level-1 code, and how much the previous item's "
            "level-1 code tells about the next item's (mutual information over train transitions, bits), i.e. how "
            "predictable the first token TIGER generates is (a plug-in estimate, biased upward by a similar amount for "
            "all rows: compare rows, not absolute values), and how often consecutive items share a level-1 code.\n\n" + table(rows, list(rows[0])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fusions", nargs="+", default=["text", "cf", "concat", "unger", "uqf"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    ap.add_argument("--multi", nargs="+", default=["text", "uqf"])
    ap.add_argument("--set", dest="sets", nargs="*", default=[], help="extra overrides for every run (k=v)")
    ap.add_argument("--note", default="", help="free text appended to the .md (how the runs were scheduled...)")
    ap.add_argument("--existing-only", action="store_true",
                    help="report the finished run directories among those requested; start no run")
    args = ap.parse_args()
    from unisid.evaluate import compare_runs

    runs: dict[str, list[Path]] = {}
    commands = []
    for f in args.fusions:
        for seed in args.seeds if f in args.multi else args.seeds[:1]:
            run = ROOT / "runs" / "bench" / f"office-{f}-tiger-s{seed}"
            extra = sum([["--set", kv] for kv in args.sets], [])
            cmd = ["unisid", "run", f"configs/office-{f}-tiger.yaml", "--set", f"seed={seed}", *extra, "--out", str(run)]
            if args.existing_only and not (run / "metrics.json").exists():
                continue
            commands.append(" ".join(cmd))
            if not args.existing_only:
                subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            runs.setdefault(f, []).append(run)
    summary, rows, stage_rows = {}, [], []
    for f, rs in runs.items():
        ms = [json.loads((r / "metrics.json").read_text())["test"] for r in rs]
        summary[f] = {k: float(np.mean([m[k] for m in ms])) for k in KEYS} | {"seeds": len(rs)}
        rows.append({"fusion": f, "seeds": len(rs), **{k: summary[f][k] for k in KEYS},
                     **{f"{k} std": float(np.std([m[k] for m in ms])) for k in ("recall@10", "ndcg@10")}})
        st = json.loads((rs[0] / "manifest.json").read_text())["stages"]
        hist = json.loads((rs[0] / "rec" / "history.json").read_text())
        stage_rows.append({"fusion": f, **{k: v["seconds"] for k, v in st.items()},
                           "samples/s": float(np.median(hist["samples_per_s"])), "best epoch": hist["best_epoch"]})
    md = header("TIGER on Amazon Office: SIDs from each fusion (test, full ranking)")
    if args.sets:
        md += f"**Reduced budget**: every run with {' '.join('`' + kv + '`' for kv in args.sets)}.\n\n"
    md += "Commands:\n\n" + "".join(f"- `{c}`\n" for c in commands) + "\n## Test metrics (mean over seeds)\n\n"
    md += table(rows, list(rows[0]))
    if "text" in runs and "uqf" in runs:
        md += "\n## uqf vs text: paired tests per seed (`unisid compare`, B = uqf, A = text)\n\n"
        by_seed = {r.name.rsplit("-s", 1)[1]: r for r in runs["uqf"]}
        for ra, rb in ((r, by_seed[r.name.rsplit("-s", 1)[1]]) for r in runs["text"] if r.name.rsplit("-s", 1)[1] in by_seed):
            cmp = [c for c in compare_runs(ra, rb) if c.metric in KEYS]
            md += f"seed {ra.name.rsplit('-s', 1)[1]}:\n\n" + table(
                [vars(c) for c in cmp], ["metric", "a", "b", "delta", "t_pvalue", "bootstrap_pvalue"]) + "\n"
        t, u = summary["text"], summary["uqf"]
        md += ("Relative change uqf vs text: " + ", ".join(f"{k} {100 * (u[k] / t[k] - 1):+.1f}%" for k in KEYS)
               + " (target: >= +5% on recall@10 and ndcg@10).\n")
    md += sid_section(runs, summary)
    md += popularity_section(runs)
    md += "\n## Wall time per stage (s, first seed) and training throughput\n\n"
    md += table(stage_rows, list(dict.fromkeys(k for r in stage_rows for k in r)), {})
    plain = plain_t5_throughput(runs[args.fusions[0]][0])
    md += (f"\nPlain HF T5 (4+4 layers, d_model 128, d_ff 1024, fp32, random unbucketed batches of 256): "
           f"{plain:.0f} samples/s on the same data. unisid's TIGER (same architecture, bf16 autocast, "
           f"length-bucketed batches): median samples/s in the table above.\n")
    write_results("tiger_office", md, summary, args.note)


if __name__ == "__main__":
    main()
