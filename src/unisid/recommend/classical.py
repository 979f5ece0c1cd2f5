"""Non-sequential baselines: Pop, BPR-MF and LightGCN (BPR-MF = LightGCN with 0 propagation layers,
same torch_geometric model, same BPR loop). Early stopping on validation NDCG@10."""

from __future__ import annotations

import numpy as np
import torch

from unisid.config import BaselineConfig, CFEmbedConfig
from unisid.embed.lightgcn import rank_users, train_lightgcn
from unisid.evaluate.metrics import topk_from_scores
from unisid.recommend.base import Rankings, RecContext, register_backbone


@register_backbone("pop", needs_sids=False)
def pop(ctx: RecContext, on_epoch_end=None) -> Rankings:
    """Most popular items in train, the same list for everyone (history removed if configured)."""
    split, k = ctx.split, ctx.cfg.recommender.topk
    scores = torch.as_tensor(split.item_train_counts(), dtype=torch.float32).expand(split.n_users, -1)
    out = {}
    for stage in ("valid", "test"):
        excl = split.histories(stage) if ctx.cfg.recommender.exclude_history else None
        out[stage] = topk_from_scores(scores, k, exclude=excl)
    return Rankings(out["valid"], out["test"], {})


def _graph_cfg(b: BaselineConfig, layers: int) -> CFEmbedConfig:
    return CFEmbedConfig(dim=b.dim, layers=layers, epochs=b.epochs, batch_size=b.graph_batch_size, lr=b.graph_lr,
                         weight_decay=b.graph_reg, eval_every=b.graph_eval_every, patience=b.patience)


def _graph_backbone(ctx: RecContext, layers: int) -> Rankings:
    b, split = ctx.cfg.recommender.baseline, ctx.split
    excl = ctx.cfg.recommender.exclude_history
    r = train_lightgcn(split, _graph_cfg(b, layers), ctx.cfg.seed, metric="ndcg@10", exclude_history=excl)
    users, items = torch.from_numpy(r.user_emb), torch.from_numpy(r.item_emb)
    k = ctx.cfg.recommender.topk
    valid = rank_users(users, items, split, "valid", k, excl)
    test = rank_users(users, items, split, "test", k, excl)
    hist = {"epoch": [e for e, _ in r.log["valid_ndcg@10"]], "valid_ndcg@10": [v for _, v in r.log["valid_ndcg@10"]],
            "loss": [r.log["loss"][e - 1] for e, _ in r.log["valid_ndcg@10"]], "best_epoch": r.log["best_epoch"]}
    hist["valid_recall@10"] = [np.nan] * len(hist["epoch"])
    return Rankings(valid, test, hist)


@register_backbone("bprmf", needs_sids=False)
def bprmf(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return _graph_backbone(ctx, 0)


@register_backbone("lightgcn", needs_sids=False)
def lightgcn(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return _graph_backbone(ctx, ctx.cfg.recommender.baseline.graph_layers)
