"""RQ-VAE (TIGER / LC-Rec style): MLP encoder -> L residual codebooks -> MLP decoder.

k-means initialisation of every codebook on the first forward pass, commitment loss, reset of
dead codes after every epoch, and optional Sinkhorn-Knopp uniform assignment on the last level.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from unisid.config import QuantizerConfig
from unisid.quantize.base import QUANTIZERS, QuantizeResult, kmeans, sinkhorn
from unisid.train import Trainer, seed_everything


def mlp(dims: list[int], dropout: float = 0.0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class RQVAE(nn.Module):
    def __init__(self, in_dim: int, cfg: QuantizerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = mlp([in_dim, *cfg.hidden_dims, cfg.code_dim], cfg.dropout)
        self.decoder = mlp([cfg.code_dim, *reversed(cfg.hidden_dims), in_dim], cfg.dropout)
        self.codebooks = nn.ParameterList(
            [nn.Parameter(torch.randn(k, cfg.code_dim) * 0.01) for k in cfg.codebook_sizes]
        )

    def quantize(self, z: torch.Tensor, use_sinkhorn: bool = False):
        """z (B, D) -> z_q (B, D), codes (B, L), residuals (L, B, D), last distances (B, K_last)."""
        resid = z
        z_q = torch.zeros_like(z)
        codes, resids = [], []
        dist = None
        for level, cb in enumerate(self.codebooks):
            dist = torch.cdist(resid, cb).pow(2)  # (B, K)
            if use_sinkhorn and level == len(self.codebooks) - 1:
                code = sinkhorn(dist.detach(), self.cfg.sinkhorn_epsilon, self.cfg.sinkhorn_iters).argmax(1)
            else:
                code = dist.argmin(1)
            q = cb[code]  # (B, D)
            resids.append(resid)
            codes.append(code)
            z_q = z_q + q
            resid = resid - q.detach() if self.training else resid - q
        return z_q, torch.stack(codes, 1), torch.stack(resids), dist

    def forward(self, x: torch.Tensor):
        z = self.encoder(x)
        z_q, codes, resids, _ = self.quantize(z)
        vq = 0.0
        for level, cb in enumerate(self.codebooks):
            q = cb[codes[:, level]]
            r = resids[level]
            vq = vq + ((r.detach() - q) ** 2).mean() + self.cfg.beta * ((r - q.detach()) ** 2).mean()
        z_st = z + (z_q - z).detach()  # straight-through
        recon = self.decoder(z_st)
        return recon, codes, vq

    @torch.no_grad()
    def kmeans_init(self, x: torch.Tensor, seed: int) -> None:
        resid = self.encoder(x)
        for level, cb in enumerate(self.codebooks):
            cent = torch.from_numpy(kmeans(resid.numpy(), cb.shape[0], self.cfg.kmeans_iters, seed + level))
            cb.data.copy_(cent)
            resid = resid - cent[torch.cdist(resid, cent).argmin(1)]


@QUANTIZERS.register("rqvae")
def rq_vae(x: np.ndarray, cfg: QuantizerConfig, seed: int) -> QuantizeResult:
    seed_everything(seed)
    data = torch.as_tensor(np.asarray(x, dtype=np.float32))  # (n, d)
    model = RQVAE(data.shape[1], cfg)
    if cfg.kmeans_init:
        model.eval()
        model.kmeans_init(data, seed)
    trainer = Trainer()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model, opt = trainer.prepare(model, opt)
    core = trainer.unwrap(model)
    gen = torch.Generator().manual_seed(seed)
    n = len(data)
    log: dict = {"loss": [], "recon": [], "dead_codes_reset": 0}
    bar = tqdm(range(cfg.epochs), desc="RQ-VAE", unit="epoch")
    for _epoch in bar:
        model.train()
        usage = [torch.zeros(k, dtype=torch.long) for k in cfg.codebook_sizes]
        tot = rec_tot = 0.0
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, cfg.batch_size):
            xb = data[perm[s : s + cfg.batch_size]].to(trainer.device)
            recon, codes, vq = model(xb)
            rec = ((recon - xb) ** 2).mean()
            loss = rec + vq
            opt.zero_grad()
            trainer.backward(loss)
            opt.step()
            tot += loss.item() * len(xb)
            rec_tot += rec.item() * len(xb)
            for level in range(len(usage)):
                usage[level] += torch.bincount(codes[:, level].cpu(), minlength=len(usage[level]))
        log["loss"].append(tot / n)
        log["recon"].append(rec_tot / n)
        if cfg.dead_code_reset:
            log["dead_codes_reset"] += _reset_dead(core, data, usage, gen)
        bar.set_postfix(loss=f"{tot / n:.4f}")
    core.eval()
    with torch.no_grad():
        z = core.encoder(data)
        _, codes, _, last_dist = core.quantize(z, use_sinkhorn=cfg.sinkhorn_last_level)
        log["final_recon_mse"] = float(((core.decoder(core.quantize(z)[0]) - data) ** 2).mean())
    state = {k: v.detach().clone() for k, v in core.state_dict().items()}
    return QuantizeResult(codes.numpy().astype(np.int64), list(cfg.codebook_sizes),
                          last_dist.numpy().astype(np.float32), state, log)


@torch.no_grad()
def _reset_dead(model: RQVAE, data: torch.Tensor, usage: list[torch.Tensor], gen: torch.Generator) -> int:
    """Move codes unused for a whole epoch onto residuals of random items."""
    dead_total = 0
    z = model.encoder(data)
    _, _, resids, _ = model.quantize(z)
    for level, cb in enumerate(model.codebooks):
        dead = (usage[level] == 0).nonzero().flatten()
        if len(dead) == 0:
            continue
        pick = torch.randint(0, len(data), (len(dead),), generator=gen)
        cb.data[dead] = resids[level][pick] + 1e-4 * torch.randn(len(dead), cb.shape[1], generator=gen)
        dead_total += len(dead)
    return dead_total
