"""UQF: the Unified Q-Former tokenizer's fusion model.

Per item, two token sets:

* text tokens: the sentence encoder's token states (M, d_t), or the pooled vector cut into k
  segments (k, d_t / k);
* collaborative tokens: LightGCN's per-layer outputs (L+1, d_c) plus the final embeddings of the
  item's top-n co-interacted neighbours (n, d_c).

N learnable queries attend to each token set in a branch of its own (Q-Former layers: query
self-attention, cross-attention to the branch's tokens, FFN). Per query a gate
g = sigmoid(MLP[h_text, h_cf, missing flags]) mixes the branches, g * h_text + (1 - g) * h_cf;
the fused queries are mean-pooled and projected to the unified embedding (L2-normalised).

Training: hybrid InfoNCE with in-batch negatives, where an item's positives are a structural
neighbour (co-interacted in train) and a semantic neighbour (text kNN), plus cross-modal
alignment terms (the unified embedding must pick out its own text and its own collaborative view
among the batch's). Asymmetric modality dropout hides the collaborative branch with p_cf and the
text branch with p_text (never both); the gate is told which is missing, and a missing branch
forces the gate to the other one. Items with no train interactions are always encoded with the
collaborative branch masked.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from unisid.config import FusionConfig, UQFConfig
from unisid.fuse.base import FUSERS, FusionInputs, FusionOutput
from unisid.fuse.neighbors import co_interaction_neighbors, text_knn
from unisid.train import Trainer, seed_everything


class QFormerLayer(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float, ffn_mult: int = 2) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(d, ffn_mult * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn_mult * d, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, q: torch.Tensor, mem: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        # q (B, Nq, d), mem (B, M, d), pad (B, M) True = ignore
        h = self.n1(q)
        q = q + self.self_attn(h, h, h, need_weights=False)[0]
        h = self.n2(q)
        q = q + self.cross_attn(h, mem, mem, key_padding_mask=pad, need_weights=False)[0]
        return q + self.ffn(self.n3(q))


class Branch(nn.Module):
    """One modality: project tokens, then queries cross-attend (or mean-pool when queries are off)."""

    def __init__(self, in_dim: int, n_slots: int, cfg: UQFConfig) -> None:
        super().__init__()
        d = cfg.hidden
        self.use_queries = cfg.use_queries
        self.proj = nn.Linear(in_dim, d)
        self.pos = nn.Parameter(torch.zeros(n_slots, d))
        self.norm = nn.LayerNorm(d)
        if cfg.use_queries:
            self.layers = nn.ModuleList([QFormerLayer(d, cfg.heads, cfg.dropout, cfg.ffn_mult) for _ in range(cfg.layers)])
        else:
            self.pool_mlp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))
        self.missing = nn.Parameter(torch.zeros(d))

    def forward(self, queries: torch.Tensor, tokens: torch.Tensor, pad: torch.Tensor, missing: torch.Tensor):
        # tokens (B, M, in), pad (B, M), missing (B,) -> (B, Nq, d) (Nq = 1 without queries)
        pad = pad.clone()
        pad[pad.all(1), 0] = False  # a fully padded row would give NaN; its output is replaced below
        mem = self.norm(self.proj(tokens) + self.pos[: tokens.shape[1]])
        if self.use_queries:
            q = queries.unsqueeze(0).expand(len(tokens), -1, -1)
            for layer in self.layers:
                q = layer(q, mem, pad)
        else:
            keep = (~pad).unsqueeze(-1).float()
            q = self.pool_mlp((mem * keep).sum(1, keepdim=True) / keep.sum(1, keepdim=True).clamp_min(1))
        return torch.where(missing[:, None, None], self.missing.expand_as(q), q)


class UQF(nn.Module):
    def __init__(self, text_dim: int, text_slots: int, cf_dim: int, cf_slots: int, cfg: UQFConfig,
                 target_text_dim: int, target_cf_dim: int) -> None:
        super().__init__()
        d = cfg.hidden
        self.cfg = cfg
        self.queries = nn.Parameter(torch.randn(max(cfg.n_queries, 1), d) * 0.02)
        self.text = Branch(text_dim, text_slots, cfg)
        self.cf = Branch(cf_dim, cf_slots, cfg)
        self.norm_text, self.norm_cf = nn.LayerNorm(d), nn.LayerNorm(d)  # comparable scales before gating
        self.gate = nn.Sequential(nn.Linear(2 * d + 2, d), nn.GELU(), nn.Linear(d, 1))
        nn.init.zeros_(self.gate[-1].weight)  # start at g = 0.5
        nn.init.zeros_(self.gate[-1].bias)
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, cfg.dim))
        self.text_head = nn.Linear(cfg.dim, target_text_dim)
        self.cf_head = nn.Linear(cfg.dim, target_cf_dim)

    def forward(self, text_tok, text_pad, cf_tok, cf_pad, text_missing, cf_missing):
        """-> unified (B, d) L2-normalised, gates (B, Nq) = weight of the text branch."""
        ht = self.norm_text(self.text(self.queries, text_tok, text_pad, text_missing))  # (B, Nq, d)
        hc = self.norm_cf(self.cf(self.queries, cf_tok, cf_pad, cf_missing))  # (B, Nq, d)
        if self.cfg.gate == "adaptive":
            flags = torch.stack([text_missing, cf_missing], -1).float()  # (B, 2)
            flags = flags.unsqueeze(1).expand(-1, ht.shape[1], -1)
            g = torch.sigmoid(self.gate(torch.cat([ht, hc, flags], -1)))  # (B, Nq, 1)
        else:
            g = torch.full_like(ht[..., :1], 0.5)
        g = torch.where(cf_missing[:, None, None], torch.ones_like(g), g)
        g = torch.where(text_missing[:, None, None], torch.zeros_like(g), g)
        fused = g * ht + (1 - g) * hc  # (B, Nq, d)
        z = F.normalize(self.out(fused.mean(1)).float(), dim=-1)  # (B, dim), fp32 even under autocast
        return z, g.squeeze(-1).float()


def info_nce(a: torch.Tensor, b: torch.Tensor, tau: float, valid: torch.Tensor | None = None) -> torch.Tensor:
    """In-batch InfoNCE: row i of ``a`` should pick row i of ``b``; rows with valid=False ignored."""
    logits = a @ b.T / tau  # (B, B)
    loss = F.cross_entropy(logits, torch.arange(len(a), device=a.device), reduction="none")
    if valid is not None:
        return (loss * valid).sum() / valid.sum().clamp_min(1)
    return loss.mean()


class _Tokens:
    """All items' token tensors, built once; ``batch(idx)`` slices them."""

    def __init__(self, inputs: FusionInputs, cfg: UQFConfig, nb_idx: np.ndarray) -> None:
        n = len(inputs.text)
        if cfg.text_tokens == "encoder":
            if inputs.text_tokens is None:
                from unisid.errors import UnisidError

                raise UnisidError("fusion.uqf.text_tokens=encoder needs embed.text.token_states: true")
            self.text = torch.from_numpy(inputs.text_tokens.astype(np.float32))  # (n, M, d_t)
            self.text_pad = ~torch.from_numpy(inputs.text_token_mask)
        else:
            k = cfg.text_segments
            t = inputs.text.astype(np.float32)
            pad_cols = (-t.shape[1]) % k
            t = np.pad(t, ((0, 0), (0, pad_cols)))
            self.text = torch.from_numpy(t.reshape(n, k, -1))  # (n, k, d_t / k)
            self.text_pad = torch.zeros(n, k, dtype=torch.bool)
        layers = torch.from_numpy(inputs.cf_layers.astype(np.float32))  # (n, L+1, d_c)
        nb = torch.from_numpy(inputs.cf.astype(np.float32))[torch.from_numpy(nb_idx).clamp_min(0)]  # (n, nb, d_c)
        nb_pad = torch.from_numpy(nb_idx < 0)
        self.cf = torch.cat([layers, nb], 1)
        self.cf_pad = torch.cat([torch.zeros(n, layers.shape[1], dtype=torch.bool), nb_pad], 1)
        self.cold = torch.from_numpy(inputs.cf_cold.astype(bool))
        self.cf_pad[self.cold] = True

    def batch(self, idx: torch.Tensor):
        return self.text[idx], self.text_pad[idx], self.cf[idx], self.cf_pad[idx]


def _sample_positive(table: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One random valid neighbour per row of ``table[idx]`` (-1 padded) and a validity mask."""
    rows = table[idx]  # (B, k)
    counts = (rows >= 0).sum(1)
    pick = (rng.random(len(idx)) * np.maximum(counts, 1)).astype(np.int64)
    pos = rows[np.arange(len(idx)), pick]
    valid = counts > 0
    return np.where(valid, pos, idx), valid


@FUSERS.register("uqf")
def uqf(inputs: FusionInputs, fcfg: FusionConfig) -> FusionOutput:
    cfg = fcfg.uqf
    seed_everything(inputs.seed)
    rng = np.random.default_rng(inputs.seed)
    # one neighbour ranking serves both the CF tokens and the structural positives
    ranked, _ = co_interaction_neighbors(inputs.split.item_cooccurrence(), max(cfg.cf_neighbors, cfg.struct_positives))
    toks = _Tokens(inputs, cfg, ranked[:, : cfg.cf_neighbors])
    n = len(inputs.text)
    struct_nb = ranked[:, : cfg.struct_positives]
    sem_nb = text_knn(inputs.text, cfg.semantic_positives)
    text_target = F.normalize(torch.from_numpy(inputs.text.astype(np.float32)), dim=-1)
    cf_target = F.normalize(torch.from_numpy(inputs.cf.astype(np.float32)), dim=-1)
    model = UQF(toks.text.shape[-1], toks.text.shape[1], toks.cf.shape[-1], toks.cf.shape[1], cfg,
                text_target.shape[1], cf_target.shape[1])
    trainer = Trainer(cfg.mixed_precision)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model, opt = trainer.prepare(model, opt)
    dev = trainer.device

    def encode(idx: np.ndarray, train: bool):
        t = torch.from_numpy(idx)
        tt, tp, ct, cp = (x.to(dev) for x in toks.batch(t))
        cold = toks.cold[t].to(dev)
        if train:
            drop_cf = torch.from_numpy(rng.random(len(idx)) < cfg.p_drop_cf).to(dev)
            drop_text = torch.from_numpy(rng.random(len(idx)) < cfg.p_drop_text).to(dev) & ~(drop_cf | cold)
            cf_missing, text_missing = cold | drop_cf, drop_text
        else:
            cf_missing, text_missing = cold, torch.zeros_like(cold)
        with trainer.autocast():
            return model(tt, tp, ct, cp, text_missing, cf_missing)

    log: dict = {"loss": [], "struct": [], "sem": [], "text_pred": [], "cf_pred": []}
    bar = tqdm(range(cfg.epochs), desc="UQF", unit="epoch")
    for _ in bar:
        model.train()
        sums = dict.fromkeys(log, 0.0)
        steps = 0
        perm = rng.permutation(n)
        for s in range(0, n, cfg.batch_size):
            anchor = perm[s : s + cfg.batch_size]
            if len(anchor) < 2:
                continue
            z, _ = encode(anchor, True)
            terms = {}
            if cfg.lambda_struct > 0:
                pos, valid = _sample_positive(struct_nb, anchor, rng)
                zp, _ = encode(pos, True)
                terms["struct"] = cfg.lambda_struct * info_nce(z, zp, cfg.temperature, torch.from_numpy(valid).float().to(dev))
            if cfg.lambda_sem > 0:
                pos, valid = _sample_positive(sem_nb, anchor, rng)
                zp, _ = encode(pos, True)
                terms["sem"] = cfg.lambda_sem * info_nce(z, zp, cfg.temperature, torch.from_numpy(valid).float().to(dev))
            core = trainer.unwrap(model)
            if cfg.lambda_text_pred > 0:
                pred = F.normalize(core.text_head(z).float(), dim=-1)
                terms["text_pred"] = cfg.lambda_text_pred * info_nce(pred, text_target[anchor].to(dev), cfg.temperature)
            if cfg.lambda_cf_pred > 0:
                warm = (~toks.cold[torch.from_numpy(anchor)]).float().to(dev)
                pred = F.normalize(core.cf_head(z).float(), dim=-1)
                terms["cf_pred"] = cfg.lambda_cf_pred * info_nce(pred, cf_target[anchor].to(dev), cfg.temperature, warm)
            if not terms:
                from unisid.errors import UnisidError

                raise UnisidError("UQF has every loss term switched off (all fusion.uqf.lambda_* are 0)")
            loss = sum(terms.values())
            opt.zero_grad()
            trainer.backward(loss)
            opt.step()
            sums["loss"] += loss.item()
            for k, v in terms.items():
                sums[k] += v.item()
            steps += 1
        for k in log:
            log[k].append(sums[k] / max(steps, 1))
        bar.set_postfix(loss=f"{log['loss'][-1]:.3f}")
    model.eval()
    zs, gs = [], []
    with torch.no_grad():
        for s in range(0, n, 1024):
            z, g = encode(np.arange(s, min(s + 1024, n)), False)
            zs.append(z.cpu())
            gs.append(g.cpu())
    emb = torch.cat(zs).numpy().astype(np.float32)
    gates = torch.cat(gs).numpy().astype(np.float32)  # (n, Nq)
    log["n_cold_items"] = int(toks.cold.sum())
    return FusionOutput(emb, {"gates": gates}, log)
