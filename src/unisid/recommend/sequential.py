"""Sequential baselines on the shared training loop: SASRec, GRU4Rec, BERT4Rec.

Item ids are shifted by one inside the models (0 = padding, n_items + 1 = BERT4Rec's mask token).
Sequences are right-aligned (left-padded) to ``data.max_history``. Every model scores all items
by a dot product with the item embedding table (full ranking).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unisid.config import BaselineConfig
from unisid.evaluate.metrics import topk_from_scores
from unisid.io import stable_hash
from unisid.recommend.base import Rankings, RecContext, register_backbone
from unisid.recommend.loop import LoopConfig, Task, fit, rank_in_batches, validation_users
from unisid.train import seed_everything


def left_pad(seqs: list[np.ndarray], length: int) -> torch.Tensor:
    """Shifted ids (item + 1), right-aligned, (B, length); 0 = padding."""
    out = torch.zeros(len(seqs), length, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s[-length:]
        if len(s):
            out[i, length - len(s):] = torch.as_tensor(s) + 1
    return out


class SeqEncoder(nn.Module):
    def __init__(self, n_items: int, max_len: int, cfg: BaselineConfig, kind: str) -> None:
        super().__init__()
        d = cfg.dim
        self.kind = kind
        self.item = nn.Embedding(n_items + 2, d, padding_idx=0)
        self.drop = nn.Dropout(cfg.dropout)
        if kind == "gru4rec":
            self.gru = nn.GRU(d, d, cfg.layers, batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        else:
            self.pos = nn.Embedding(max_len, d)
            self.layers = nn.ModuleList([
                nn.TransformerEncoderLayer(d, cfg.heads, 4 * d, cfg.dropout, batch_first=True, norm_first=True,
                                           activation="gelu") for _ in range(cfg.layers)])
            self.norm = nn.LayerNorm(d)
        self.heads = cfg.heads
        nn.init.normal_(self.item.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) shifted -> hidden states (B, T, d)."""
        x = self.drop(self.item(ids))
        if self.kind == "gru4rec":
            return self.gru(x)[0]
        b, t = ids.shape
        x = x + self.pos(torch.arange(t, device=ids.device))
        pad = ids == 0
        if self.kind == "sasrec":
            # causal + padding mask; every position may attend to itself, so no row is fully masked
            blocked = torch.triu(torch.ones(t, t, dtype=torch.bool, device=ids.device), 1).unsqueeze(0) | pad.unsqueeze(1)
            blocked = blocked & ~torch.eye(t, dtype=torch.bool, device=ids.device)
            mask = torch.zeros(b, t, t, device=ids.device).masked_fill(blocked, float("-inf"))
            mask = mask.repeat_interleave(self.heads, 0)  # (B*heads, T, T)
            for layer in self.layers:
                x = layer(x, src_mask=mask)
        else:  # bert4rec: bidirectional over real items (a fully padded row cannot occur)
            for layer in self.layers:
                x = layer(x, src_key_padding_mask=pad)
        return self.norm(x)

    def scores(self, h: torch.Tensor) -> torch.Tensor:
        """h (N, d) -> (N, n_items) over real items."""
        return h @ self.item.weight[1:-1].T


class SequentialTask(Task):
    def __init__(self, ctx: RecContext, kind: str) -> None:
        self.ctx, self.kind = ctx, kind
        self.cfg = ctx.cfg.recommender.baseline
        self.n_items = ctx.split.n_items
        self.max_len = ctx.split.max_history
        self.model = SeqEncoder(self.n_items, self.max_len, self.cfg, kind)
        self.train_seqs = [s for s in ctx.split.train if len(s) >= 2]
        self.mask_id = self.n_items + 1

    def batches(self, epoch: int) -> list[np.ndarray]:
        gen = np.random.default_rng([self.ctx.cfg.seed, epoch])
        order = gen.permutation(len(self.train_seqs))
        return [order[s : s + self.cfg.batch_size] for s in range(0, len(order), self.cfg.batch_size)]

    def loss(self, batch: np.ndarray) -> torch.Tensor:
        seqs = [self.train_seqs[i] for i in batch]
        if self.kind == "bert4rec":
            return self._cloze_loss(seqs)
        full = left_pad(seqs, self.max_len + 1).to(self.device)  # (B, T+1)
        inp, tgt = full[:, :-1], full[:, 1:]
        h = self.model(inp)  # (B, T, d)
        valid = (tgt > 0) & (inp > 0)
        hv, tv = h[valid], tgt[valid] - 1  # (N, d), (N,)
        if self.kind == "sasrec" and self.cfg.sasrec_loss == "bce":
            neg = torch.randint(0, self.n_items, tv.shape, device=self.device)
            w = self.model.item.weight
            pos_s = (hv * w[tv + 1]).sum(-1)
            neg_s = (hv * w[neg + 1]).sum(-1)
            return F.binary_cross_entropy_with_logits(torch.cat([pos_s, neg_s]),
                                                      torch.cat([torch.ones_like(pos_s), torch.zeros_like(neg_s)]))
        return F.cross_entropy(self.model.scores(hv).float(), tv)

    def _cloze_loss(self, seqs: list[np.ndarray]) -> torch.Tensor:
        ids = left_pad(seqs, self.max_len).to(self.device)  # (B, T)
        real = ids > 0
        mask = (torch.rand(ids.shape, device=self.device) < self.cfg.mask_prob) & real
        last = real.sum(1) > 0
        mask[last, -1] |= torch.rand(int(last.sum()), device=self.device) < 0.5  # also learn the "next item at the end" case
        inp = ids.masked_fill(mask, self.mask_id)
        h = self.model(inp)
        if not mask.any():
            return h.sum() * 0
        return F.cross_entropy(self.model.scores(h[mask]).float(), ids[mask] - 1)

    @torch.no_grad()
    def user_states(self, users: np.ndarray, stage: str) -> torch.Tensor:
        hists = [self.ctx.split.history(int(u), stage) for u in users]
        if self.kind == "bert4rec":
            ids = left_pad([h[-(self.max_len - 1):] for h in hists], self.max_len - 1)
            ids = torch.cat([ids, torch.full((len(users), 1), self.mask_id)], 1)
        else:
            ids = left_pad(hists, self.max_len)
        return self.model(ids.to(self.device))[:, -1]  # (B, d)

    def rank(self, users: np.ndarray, stage: str, k: int) -> np.ndarray:
        excl = self.ctx.cfg.recommender.exclude_history

        def one(batch_users: np.ndarray) -> np.ndarray:
            scores = self.model.scores(self.user_states(batch_users, stage)).float().cpu()
            ex = [self.ctx.split.history(int(u), stage) for u in batch_users] if excl else None
            return topk_from_scores(scores, k, exclude=ex)

        return rank_in_batches(one, users, 1024, k)


def _run(ctx: RecContext, kind: str, on_epoch_end=None) -> Rankings:
    cfg = ctx.cfg.recommender.baseline
    seed_everything(ctx.cfg.seed)
    task = SequentialTask(ctx, kind)
    key = stable_hash({"kind": kind, "cfg": cfg.model_dump(), "seed": ctx.cfg.seed,
                       "data": ctx.run.manifest.get("data_hash"), "max_history": ctx.split.max_history})
    loop = LoopConfig(cfg.epochs, cfg.lr, 0, cfg.weight_decay, 0.0, cfg.patience, cfg.mixed_precision)
    split = ctx.split
    vu = validation_users(split.n_users, cfg.valid_users, ctx.cfg.seed)
    hist = fit(task, loop, ctx.run.path("rec"), key, vu, split.valid_target, split.n_items, ctx.cfg.seed,
               desc=kind, on_epoch_end=on_epoch_end)
    k = ctx.cfg.recommender.topk
    users = np.arange(split.n_users)
    return Rankings(task.rank(users, "valid", k), task.rank(users, "test", k), hist)


@register_backbone("sasrec", needs_sids=False)
def sasrec(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return _run(ctx, "sasrec", on_epoch_end)


@register_backbone("gru4rec", needs_sids=False)
def gru4rec(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return _run(ctx, "gru4rec", on_epoch_end)


@register_backbone("bert4rec", needs_sids=False)
def bert4rec(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return _run(ctx, "bert4rec", on_epoch_end)
