"""Benchmark: our trie-constrained beam search vs HF ``generate(num_beams=20,
prefix_allowed_tokens_fn=...)`` on the same trained TIGER model, same users, same machine, one run.

    python benchmarks/decode_speed.py [--run RUN_DIR] [--users 256] [--batch 64]

Without --run, a TIGER model is trained for one epoch on Office text SIDs (configs/office-text-tiger.yaml)
in runs/bench/decode-speed (reused when present). Writes benchmarks/results/decode_speed.json
(+ .md). Both decoders run in fp32 with the same batch size; the HF constraint function walks a
prefix dict (the usual way this is written).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, header, table  # noqa: E402


def trained_run(run: Path | None) -> Path:
    if run is not None:
        return run
    run = ROOT / "runs" / "bench" / "decode-speed"
    if not (run / "rec" / "best_model.safetensors").exists():
        subprocess.run(["unisid", "run", "configs/office-text-tiger.yaml", "--set", "recommender.tiger.epochs=1",
                        "--out", str(run)], cwd=ROOT, check=True)
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path)
    ap.add_argument("--users", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--beam", type=int, default=20)
    args = ap.parse_args()
    run = trained_run(args.run)

    from unisid.config import load_config
    from unisid.data import LeaveOneOut, load_dataset
    from unisid.io import read_model, read_npy
    from unisid.recommend import RecContext
    from unisid.recommend.tiger import TigerTask
    from unisid.runs import Run

    cfg = load_config(run / "config.yaml")
    ds = load_dataset(cfg.data.path, cfg.data, warn=False)
    split = LeaveOneOut.from_dataset(ds, cfg.data.max_history)
    codes = read_npy(run / "quantize" / "codes.npy")
    sizes = json.loads((run / "quantize" / "log.json").read_text())["codebook_sizes"]
    ctx = RecContext(cfg, Run(run, cfg), ds, split, codes, sizes)
    task = TigerTask(ctx, cfg.recommender.tiger)
    read_model(run / "rec" / "best_model.safetensors", task.model)
    model = task.model.eval()
    users = np.arange(min(args.users, split.n_users))
    n_levels = codes.shape[1]

    # HF constraint: prefix dict over token ids (decoder prefix starts with the start token)
    allowed: dict[tuple, list[int]] = {}
    for row in task.item_tokens.tolist():
        for d in range(n_levels):
            allowed.setdefault(tuple(row[:d]), [])
            if row[d] not in allowed[tuple(row[:d])]:
                allowed[tuple(row[:d])].append(row[d])
    token_to_item = {tuple(r): i for i, r in enumerate(task.item_tokens.tolist())}

    def prefix_fn(batch_id: int, sent: torch.Tensor) -> list[int]:
        return allowed.get(tuple(sent.tolist()[1:]), [])

    batches = [users[s : s + args.batch] for s in range(0, len(users), args.batch)]
    inputs = [task.encode_users(b, "test") for b in batches]
    torch.set_grad_enabled(False)

    def ours() -> list[np.ndarray]:
        return [task.beam_search(ids, mask, args.beam, args.beam)[0] for ids, mask in inputs]

    def hf() -> list[np.ndarray]:
        out = []
        for ids, mask in inputs:
            gen = model.generate(input_ids=ids, attention_mask=mask, num_beams=args.beam,
                                 num_return_sequences=args.beam, max_new_tokens=n_levels, min_new_tokens=n_levels,
                                 prefix_allowed_tokens_fn=prefix_fn, decoder_start_token_id=0, do_sample=False,
                                 early_stopping=True, length_penalty=0.0)
            seqs = gen[:, 1 : 1 + n_levels].view(len(ids), args.beam, n_levels).tolist()
            out.append(np.array([[token_to_item.get(tuple(s), -1) for s in row] for row in seqs]))
        return out

    ours()  # warm-up
    t0 = time.perf_counter()
    r_ours = ours()
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    r_hf = hf()
    t_hf = time.perf_counter() - t0
    a, b = np.concatenate(r_ours), np.concatenate(r_hf)
    top1 = float((a[:, 0] == b[:, 0]).mean())
    overlap = float(np.mean([len(set(x) & set(y)) / args.beam for x, y in zip(a, b, strict=True)]))
    res = {"ours_users_per_s": len(users) / t_ours, "hf_users_per_s": len(users) / t_hf,
           "ratio": t_hf / t_ours, "beam": args.beam, "users": int(len(users)), "batch": args.batch,
           "top1_agreement": top1, "top20_overlap": overlap, "hf_invalid_items": int((b < 0).sum()),
           "model": f"T5 {cfg.recommender.tiger.num_layers}+{cfg.recommender.tiger.num_decoder_layers} layers, "
                    f"d_model {cfg.recommender.tiger.d_model}", "items": int(len(codes)), "torch_threads": torch.get_num_threads(),
           "run": str(run)}
    (RESULTS / "decode_speed.json").write_text(json.dumps(res, indent=2) + "\n")
    md = header("Decoding speed: trie-constrained beam search vs HF generate")
    md += table([{k: v for k, v in res.items() if k != "run"}], [k for k in res if k != "run"],
                {"ours_users_per_s": "{:.1f}", "hf_users_per_s": "{:.1f}", "ratio": "{:.2f}"})
    md += ("\nSame trained model, same users and batches, fp32 for both. top1_agreement / top20_overlap compare "
           "the two decoders' lists (HF's length normalisation is off: every SID has the same length).\n")
    (RESULTS / "decode_speed.md").write_text(md)
    print(md)
    print(f"ratio (HF time / ours): {res['ratio']:.2f}")


if __name__ == "__main__":
    main()
