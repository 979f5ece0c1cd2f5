"""UNGER-style integration (the unified-ID baseline UQF is compared against).

* Modality adaptation with AdaLN: the text view is projected, layer-normalised, and the
  collaborative embedding produces the norm's scale and shift (``LN(h) * (1 + gamma(c)) +
  beta(c)``, zero-initialised so training starts from the text view). Integration is
  concatenation-free: the integrated embedding is the conditioned text stream, ``h + FFN(AdaLN)``.
* Cross-modality knowledge alignment: InfoNCE between each item's text view and its
  collaborative view (in-batch negatives, items with train interactions only).
* Next-item prediction: a small causal transformer over the integrated embeddings of each user's
  train sequence predicts the next item against all items' integrated embeddings.

The integrated embedding (L2-normalised) is what gets quantized. Items without interactions are
conditioned on a learned null collaborative vector. UNGER's second-stage intra-modality
distillation belongs to the recommender.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from unisid.config import FusionConfig, UngerConfig
from unisid.fuse.base import FUSERS, FusionInputs, FusionOutput
from unisid.fuse.uqf import info_nce
from unisid.train import Trainer, seed_everything


class AdaLNIntegrator(nn.Module):
    def __init__(self, text_dim: int, cf_dim: int, d: int) -> None:
        super().__init__()
        self.text_in = nn.Linear(text_dim, d)
        self.cf_in = nn.Sequential(nn.Linear(cf_dim, d), nn.GELU(), nn.Linear(d, d))
        self.cond = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        nn.init.zeros_(self.cond[-1].weight)
        nn.init.zeros_(self.cond[-1].bias)
        self.norm = nn.LayerNorm(d, elementwise_affine=False)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.null_cf = nn.Parameter(torch.zeros(d))

    def forward(self, text: torch.Tensor, cf: torch.Tensor, cold: torch.Tensor):
        """-> integrated (B, d) L2-normalised, text view (B, d), collaborative view (B, d)."""
        ht = self.text_in(text)
        hc = torch.where(cold[:, None], self.null_cf.expand(len(cf), -1), self.cf_in(cf))
        gamma, beta = self.cond(hc).chunk(2, -1)
        h = ht + self.ffn(self.norm(ht) * (1 + gamma) + beta)
        return F.normalize(h, dim=-1), F.normalize(ht, dim=-1), F.normalize(hc, dim=-1)


class NextItem(nn.Module):
    """Causal transformer over integrated item embeddings (SASRec-like)."""

    def __init__(self, d: int, max_len: int, cfg: UngerConfig) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(max_len, d))
        layer = nn.TransformerEncoderLayer(d, cfg.heads, 2 * d, cfg.dropout, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, cfg.seq_layers, enable_nested_tensor=False)
        self.out = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        # x (B, T, d), pad (B, T) True = padding -> (B, T, d)
        t = x.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), 1)
        h = self.enc(x + self.pos[:t], mask=causal, src_key_padding_mask=pad)
        return F.normalize(self.out(h), dim=-1)


def _sequences(inputs: FusionInputs, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Train sequences (last max_len+1 items) as padded (U, max_len+1) ids (-1 = pad), left-aligned."""
    seqs = [s[-(max_len + 1):] for s in inputs.split.train if len(s) >= 2]
    out = torch.full((len(seqs), max_len + 1), -1, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s)
    return out, out < 0


@FUSERS.register("unger")
def unger(inputs: FusionInputs, fcfg: FusionConfig) -> FusionOutput:
    cfg = fcfg.unger
    seed_everything(inputs.seed)
    gen = torch.Generator().manual_seed(inputs.seed)
    text = torch.from_numpy(inputs.text.astype(np.float32))
    cf = torch.from_numpy(inputs.cf.astype(np.float32))
    cold = torch.from_numpy(inputs.cf_cold.astype(bool))
    max_len = inputs.split.max_history
    seqs, _ = _sequences(inputs, max_len)
    integ = AdaLNIntegrator(text.shape[1], cf.shape[1], cfg.dim)
    seq_model = NextItem(cfg.dim, max_len, cfg)
    trainer = Trainer()
    opt = torch.optim.AdamW([*integ.parameters(), *seq_model.parameters()], lr=cfg.lr, weight_decay=cfg.weight_decay)
    integ, seq_model, opt = trainer.prepare(integ, seq_model, opt)
    dev = trainer.device
    text, cf, cold = text.to(dev), cf.to(dev), cold.to(dev)
    log: dict = {"loss": [], "align": [], "next": []}
    bar = tqdm(range(cfg.epochs), desc="UNGER", unit="epoch")
    for _ in bar:
        integ.train()
        seq_model.train()
        perm = torch.randperm(len(seqs), generator=gen)
        sums = {"loss": 0.0, "align": 0.0, "next": 0.0}
        steps = 0
        for s in range(0, len(seqs), cfg.batch_size):
            batch = seqs[perm[s : s + cfg.batch_size]].to(dev)  # (B, T+1)
            table, tview, cview = integ(text, cf, cold)  # (n, d) each: all items, every step
            # alignment on the batch's warm items
            items = torch.unique(batch[batch >= 0])
            items = items[~cold[items]]
            align = info_nce(tview[items], cview[items], cfg.temperature) if len(items) > 1 else table.sum() * 0
            # next-item prediction
            inp, tgt = batch[:, :-1], batch[:, 1:]
            pad = inp < 0
            h = seq_model(table[inp.clamp_min(0)], pad)  # (B, T, d)
            valid = (tgt >= 0) & ~pad
            logits = h[valid] @ table.T / cfg.temperature  # (N, n)
            nxt = F.cross_entropy(logits, tgt[valid])
            loss = cfg.lambda_align * align + cfg.lambda_next * nxt
            opt.zero_grad()
            trainer.backward(loss)
            opt.step()
            sums["loss"] += loss.item()
            sums["align"] += align.item()
            sums["next"] += nxt.item()
            steps += 1
        for k in log:
            log[k].append(sums[k] / max(steps, 1))
        bar.set_postfix(loss=f"{log['loss'][-1]:.3f}")
    integ.eval()
    with torch.no_grad():
        emb, _, _ = trainer.unwrap(integ)(text, cf, cold)
    return FusionOutput(emb.cpu().numpy().astype(np.float32), {}, log)
