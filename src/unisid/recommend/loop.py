"""The shared training loop of every trained recommender.

AdamW with linear warm-up and cosine decay, optional bf16 autocast, gradient clipping, validation
every epoch with early stopping on NDCG@10, best weights kept, and a checkpoint after every epoch
from which an interrupted run resumes with the same result as an uninterrupted one (data order
comes from a generator seeded by (seed, epoch); the torch RNG is checkpointed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from unisid.evaluate.metrics import evaluate_rankings
from unisid.recommend import checkpoint
from unisid.train import EarlyStopper, Trainer


@dataclass
class LoopConfig:
    epochs: int
    lr: float
    warmup_steps: int
    weight_decay: float
    grad_clip: float
    patience: int
    mixed_precision: str = "no"
    grad_accum: int = 1


class Task:
    """What a backbone plugs into the loop. ``loss`` builds its tensors on ``self.device`` (set by
    ``fit`` to the accelerator's device)."""

    model: torch.nn.Module
    device: torch.device = torch.device("cpu")

    def batches(self, epoch: int) -> list[Any]:
        raise NotImplementedError

    def loss(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError

    def rank(self, users: np.ndarray, stage: str, k: int) -> np.ndarray:
        """(len(users), k) item ids."""
        raise NotImplementedError


def loop_config(cfg: Any) -> LoopConfig:
    """From a recommender config section with the usual training fields (tiger, lcrec)."""
    return LoopConfig(cfg.epochs, cfg.lr, cfg.warmup_steps, cfg.weight_decay, cfg.grad_clip, cfg.patience,
                      cfg.mixed_precision, getattr(cfg, "grad_accum", 1))


def fit_generative(task: Task, ctx: Any, section: str, desc: str,
                   on_epoch_end: Callable[[int], None] | None = None) -> dict:
    """``fit`` for a SID backbone configured by ``recommender.<section>``: the checkpoint key covers
    that section, the SIDs, the seed and the data; validation on ``valid_users`` sampled users."""
    from unisid.io import stable_hash

    cfg = getattr(ctx.cfg.recommender, section)
    key = stable_hash({section: cfg.model_dump(), "codes": stable_hash(ctx.codes.tolist()), "seed": ctx.cfg.seed,
                       "data": ctx.run.manifest.get("data_hash")})
    split = ctx.split
    vu = validation_users(split.n_users, cfg.valid_users, ctx.cfg.seed)
    return fit(task, loop_config(cfg), ctx.run.path("rec"), key, vu, split.valid_target, split.n_items,
               ctx.cfg.seed, desc=desc, on_epoch_end=on_epoch_end)


def final_rankings(task: Task, n_users: int, users: np.ndarray, k: int, mixed_precision: str,
                   hist: dict) -> dict[str, np.ndarray]:
    """valid and test rankings (n_users, k) for ``users`` (other rows -1); decoding users/s into ``hist``."""
    out = {}
    with Trainer(mixed_precision).autocast():
        for stage in ("valid", "test"):
            t0 = time.perf_counter()
            full = np.full((n_users, k), -1, dtype=np.int64)
            full[users] = task.rank(users, stage, k)
            out[stage] = full
            hist[f"{stage}_decode_users_per_s"] = len(users) / (time.perf_counter() - t0)
    return out


def validation_users(n_users: int, limit: int | None, seed: int) -> np.ndarray:
    if limit is None or limit >= n_users:
        return np.arange(n_users)
    return np.sort(np.random.default_rng(seed).choice(n_users, limit, replace=False))


class _TaskLoss(torch.nn.Module):
    """The task's loss as one module: under ``accelerate launch`` (DDP) the wrapper must see the
    forward pass for gradients to be synchronised across processes."""

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.model = task.model
        self._task = [task]  # a list, so the task is not registered as a submodule

    def forward(self, batch: Any) -> torch.Tensor:
        return self._task[0].loss(batch)


def _shard(batches: list, trainer: Trainer) -> list:
    """This process's share of the epoch's batches (equal counts on every process)."""
    n = trainer.num_processes
    return batches[: len(batches) // n * n][trainer.process_index :: n] if n > 1 else batches


def fit(
    task: Task, cfg: LoopConfig, folder: Path, key: str, valid_users: np.ndarray, valid_targets: np.ndarray,
    n_items: int, seed: int, desc: str = "train", on_epoch_end: Callable[[int], None] | None = None,
) -> dict:
    """Train ``task.model`` in place (best weights loaded at the end); returns the history.

    Several processes (``accelerate launch``) each train on their shard of every epoch's batches
    with synchronised gradients; all of them validate (same users, same result, so they stop
    together) and only the main process writes checkpoints."""
    trainer = Trainer(cfg.mixed_precision)
    model = task.model
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
    loss_fn, opt = trainer.prepare(_TaskLoss(task), opt)
    task.device = trainer.device
    steps_per_epoch = math.ceil(len(_shard(task.batches(0), trainer)) / cfg.grad_accum)
    total = max(1, steps_per_epoch * cfg.epochs)

    def lr_at(step: int) -> float:
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        frac = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))

    stopper = EarlyStopper(cfg.patience)
    hist: dict = {"epoch": [], "loss": [], "valid_ndcg@10": [], "valid_recall@10": [], "seconds": [],
                  "samples_per_s": []}
    state = checkpoint.load(folder, model, opt, key)
    start, step = 0, 0
    if state is not None:
        start, step, hist = state["epoch"], state["step"], state["history"]
        stopper = EarlyStopper(cfg.patience, **state["stopper"])
        print(f"resuming {desc} from epoch {start}")
    for epoch in range(start, cfg.epochs):
        if stopper.should_stop:
            break
        model.train()
        t0 = time.perf_counter()
        batches = _shard(task.batches(epoch), trainer)
        tot, n_samples = 0.0, 0
        bar = tqdm(batches, desc=f"{desc} epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
        opt.zero_grad()
        for i, batch in enumerate(bar):
            with trainer.autocast():
                loss = loss_fn(batch)
            trainer.backward(loss / cfg.grad_accum)
            if (i + 1) % cfg.grad_accum == 0 or i + 1 == len(batches):
                if cfg.grad_clip:
                    trainer.accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                for g in opt.param_groups:
                    g["lr"] = lr_at(step)
                opt.step()
                opt.zero_grad()
                step += 1
            tot += loss.item()
            n_samples += _batch_len(batch)
            bar.set_postfix(loss=f"{tot / (i + 1):.4f}")
        train_s = time.perf_counter() - t0
        model.eval()
        with trainer.autocast():
            ranked = task.rank(valid_users, "valid", 10)
        metrics, _ = evaluate_rankings(_clean(ranked), valid_targets[valid_users], n_items, ks=(10,))
        better = stopper.update(epoch + 1, metrics["ndcg@10"])
        if better and trainer.is_main:
            checkpoint.save_best(folder, model)
        for k, v in [("epoch", epoch + 1), ("loss", tot / max(1, len(batches))), ("valid_ndcg@10", metrics["ndcg@10"]),
                     ("valid_recall@10", metrics["recall@10"]), ("seconds", time.perf_counter() - t0),
                     ("samples_per_s", n_samples / train_s)]:
            hist[k].append(v)
        print(f"{desc} epoch {epoch + 1}: loss {hist['loss'][-1]:.4f}  valid ndcg@10 {metrics['ndcg@10']:.4f}"
              f"  recall@10 {metrics['recall@10']:.4f}  ({n_samples / train_s:.0f} samples/s){' *' if better else ''}")
        if trainer.is_main:
            checkpoint.save(folder, model, opt, {
                "key": key, "epoch": epoch + 1, "step": step, "history": hist,
                "stopper": {"best": stopper.best, "best_step": stopper.best_step, "bad": stopper.bad,
                            "history": stopper.history},
            })
        trainer.accelerator.wait_for_everyone()
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    checkpoint.load_best(folder, model)
    model.eval()
    hist["best_epoch"] = stopper.best_step
    return hist


def _batch_len(batch: Any) -> int:
    if isinstance(batch, dict):
        v = next(iter(batch.values()))
        return len(v)
    return len(batch)


def _clean(ranked: np.ndarray) -> list[np.ndarray]:
    """Drop -1 padding (beams that found no item) before evaluation."""
    return [r[r >= 0] for r in np.asarray(ranked)]


def rank_in_batches(fn: Callable[[np.ndarray], np.ndarray], users: Iterable[int], batch: int, k: int,
                    desc: str | None = None) -> np.ndarray:
    users = np.asarray(list(users))
    out = np.full((len(users), k), -1, dtype=np.int64)
    it = range(0, len(users), batch)
    for s in tqdm(it, desc=desc, unit="batch", leave=False, disable=desc is None):
        r = fn(users[s : s + batch])
        out[s : s + len(r), : r.shape[1]] = r[:, :k]
    return out
