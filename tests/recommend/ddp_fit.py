"""Run by tests/recommend/test_distributed.py under `accelerate launch --cpu --num_processes 2`:
a tiny TIGER training; each process writes what it trained on and its final weights."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.recommend.helpers import TIGER_TINY, sid_context
from unisid.config import load_config
from unisid.recommend import loop
from unisid.recommend.loop import fit_generative
from unisid.recommend.tiger import TigerTask
from unisid.train import Trainer

OVERRIDES = ["recommender.tiger.batch_size=32", "recommender.tiger.valid_users=30", "recommender.tiger.epochs=2",
             "recommender.tiger.warmup_steps=2"]


def main(out: Path) -> None:
    ctx = sid_context(out, load_config(None, [*TIGER_TINY, *OVERRIDES]), 80, 30, n_intents=5)
    task = TigerTask(ctx, ctx.cfg.recommender.tiger)
    trainer = Trainer()
    shard = loop._shard(task.batches(0), trainer)
    fit_generative(task, ctx, "tiger", "TIGER")
    rank = trainer.process_index
    (out / f"rank{rank}.json").write_text(json.dumps({
        "processes": trainer.num_processes, "all_batches": len(task.batches(0)), "shard": len(shard),
        "first": sorted(int(i) for i in shard[0]),
        "weights": float(sum(p.double().abs().sum() for p in task.model.parameters())),
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
