"""Collaborative item embeddings: LightGCN (torch_geometric) trained with BPR on train
interactions only, early-stopped on validation Recall@20. Each propagation layer's output is kept
(UQF uses them as collaborative tokens)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from unisid.config import CFEmbedConfig
from unisid.data.split import LeaveOneOut
from unisid.evaluate.metrics import per_user_metrics, target_ranks, topk_from_scores
from unisid.train import EarlyStopper, Trainer, seed_everything


@dataclass
class CFEmbeddings:
    item_emb: np.ndarray  # (n_items, d): LightGCN's final (layer-mean) item embedding
    item_layers: np.ndarray  # (n_items, L+1, d): layer 0 (free embedding) .. layer L
    user_emb: np.ndarray  # (n_users, d)
    cold: np.ndarray  # (n_items,) bool: no train interaction
    log: dict


def _adjacency(split: LeaveOneOut) -> torch.Tensor:
    """Symmetric user-item graph as a sparse CSR (N, N) tensor, N = users + items: sparse-matrix
    propagation is about 2x faster than edge-list scatter on CPU."""
    from torch_geometric.utils import to_torch_csr_tensor

    users, items = split.train_interactions()
    u = torch.as_tensor(users)
    i = torch.as_tensor(items) + split.n_users
    edge_index = torch.stack([torch.cat([u, i]), torch.cat([i, u])])  # (2, 2E) undirected
    n = split.n_users + split.n_items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return to_torch_csr_tensor(edge_index, size=(n, n))


def _layers(model, edge_index: torch.Tensor) -> torch.Tensor:
    """All layer outputs, (L+1, N, d)."""
    x = model.embedding.weight
    out = [x]
    for conv in model.convs:
        x = conv(x, edge_index)
        out.append(x)
    return torch.stack(out)


def rank_users(user_emb: torch.Tensor, item_emb: torch.Tensor, split: LeaveOneOut, stage: str, k: int,
               exclude_history: bool, batch: int = 4096) -> np.ndarray:
    """Top-k items per user by dot product, (n_users, k)."""
    out = []
    for s in range(0, split.n_users, batch):
        users = range(s, min(s + batch, split.n_users))
        scores = user_emb[s : s + len(users)] @ item_emb.T
        excl = [split.history(u, stage) for u in users] if exclude_history else None
        out.append(topk_from_scores(scores, k, exclude=excl))
    return np.concatenate(out)


def lightgcn_metric(user_emb: torch.Tensor, item_emb: torch.Tensor, split: LeaveOneOut, stage: str,
                    metric: str = "recall@20", exclude_history: bool = True) -> float:
    """A full-ranking metric (``recall@k`` / ``ndcg@k``)."""
    k = int(metric.split("@")[1])
    top = rank_users(user_emb, item_emb, split, stage, k, exclude_history)
    ranks = target_ranks(top, split.targets(stage), split.n_items)
    return float(per_user_metrics(ranks, (k,))[metric].mean())


def train_lightgcn(split: LeaveOneOut, cfg: CFEmbedConfig, seed: int = 0, metric: str = "recall@20",
                   exclude_history: bool = True) -> CFEmbeddings:
    """Early stopping on validation ``metric`` (train items masked when ``exclude_history``).
    With ``cfg.layers == 0`` this is BPR-MF."""
    from torch_geometric.nn.models import LightGCN

    seed_everything(seed)
    trainer = Trainer()
    n_users, n_items = split.n_users, split.n_items
    edge_index = _adjacency(split).to(trainer.device)
    users, items = split.train_interactions()
    model = LightGCN(n_users + n_items, cfg.dim, cfg.layers)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    model, opt = trainer.prepare(model, opt)
    core = trainer.unwrap(model)
    gen = torch.Generator().manual_seed(seed)
    stopper = EarlyStopper(cfg.patience)
    best_state = None
    n = len(users)
    u_t, i_t = torch.as_tensor(users), torch.as_tensor(items)
    bar = tqdm(range(1, cfg.epochs + 1), desc="LightGCN", unit="epoch")
    losses = []
    for epoch in bar:
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, cfg.batch_size):
            b = perm[s : s + cfg.batch_size]
            u, pos = u_t[b], i_t[b] + n_users
            neg = torch.randint(0, n_items, (len(b),), generator=gen) + n_users
            emb = core.get_embedding(edge_index)  # (N, d)
            pos_rank = (emb[u] * emb[pos]).sum(-1)
            neg_rank = (emb[u] * emb[neg]).sum(-1)
            node_id = torch.cat([u, pos, neg])
            loss = core.recommendation_loss(pos_rank, neg_rank, node_id=node_id, lambda_reg=cfg.weight_decay)
            opt.zero_grad()
            trainer.backward(loss)
            opt.step()
            total += loss.item() * len(b)
        losses.append(total / n)
        if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
            model.eval()
            with torch.no_grad():
                emb = core.get_embedding(edge_index)
                rec = lightgcn_metric(emb[:n_users], emb[n_users:], split, "valid", metric, exclude_history)
            if stopper.update(epoch, rec):
                best_state = {k: v.detach().clone() for k, v in core.state_dict().items()}
            bar.set_postfix(loss=f"{losses[-1]:.4f}", **{f"val_{metric}": f"{rec:.4f}"})
            if stopper.should_stop:
                break
    if best_state is not None:
        core.load_state_dict(best_state)
    core.eval()
    with torch.no_grad():
        layers = _layers(core, edge_index)  # (L+1, N, d)
        final = layers.mean(0)
    counts = split.item_train_counts()
    return CFEmbeddings(
        item_emb=final[n_users:].cpu().numpy().astype(np.float32),
        item_layers=layers[:, n_users:].permute(1, 0, 2).cpu().numpy().astype(np.float32),
        user_emb=final[:n_users].cpu().numpy().astype(np.float32),
        cold=counts == 0,
        log={"epochs_run": len(losses), "loss": losses, f"valid_{metric}": stopper.history,
             "best_epoch": stopper.best_step, f"best_valid_{metric}": stopper.best},
    )
