"""A lean incremental T5 decoder for beam search, on the weights of an HF ``T5ForConditionalGeneration``.

HF's decoder step handles every case (caches of several kinds, masks built per call, attention
dispatch). Beam search over SIDs needs one case, and the costly part of it is cross-attention:
HF attends from each of the B*W beams to its own copy of the encoder keys/values (W copies per
user, made when the cache is expanded to beams). Here the keys/values stay per user, (B, H, S, dk),
and the W beams of a user attend to them as W queries of one batched attention, so nothing is
copied or re-read per beam. Self-attention keeps a small per-beam cache (at most L steps).
Inference only (no dropout); the exhaustive-scoring test checks it against HF's forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class T5BeamDecoder:
    def __init__(self, model, enc: torch.Tensor, mask: torch.Tensor) -> None:
        """``enc`` (B, S, d) encoder states, ``mask`` (B, S) 1 = real token."""
        self.model, self.dec = model, model.get_decoder()
        att = self.dec.block[0].layer[0].SelfAttention
        self.h, self.dk = att.n_heads, att.key_value_proj_dim
        b, s, _ = enc.shape
        self.batch = b
        self.cross = []  # per layer (K, V), each (B, H, S, dk)
        for blk in self.dec.block:
            ca = blk.layer[1].EncDecAttention
            k = ca.k(enc).view(b, s, self.h, self.dk).transpose(1, 2)
            v = ca.v(enc).view(b, s, self.h, self.dk).transpose(1, 2)
            self.cross.append((k, v))
        self.cross_mask = mask.bool()[:, None, None, :]  # (B, 1, 1, S)
        self.scale_out = model.model_dim**-0.5 if model.config.scale_decoder_outputs else 1.0

    def step(self, tokens: torch.Tensor, cache: list | None, t: int) -> tuple[torch.Tensor, list]:
        """One decoding position ``t`` for R = B*w rows (w beams per user, rows grouped by user):
        tokens (R,) -> logits (R, V) and the self-attention cache [(K, V) (R, H, t+1, dk)] per layer."""
        r = len(tokens)
        w = r // self.batch
        h = self.dec.embed_tokens(tokens)[:, None]  # (R, 1, d)
        bias = self.dec.block[0].layer[0].SelfAttention.compute_bias(1, t + 1, past_seen_tokens=t)  # (1, H, 1, t+1)
        new_cache = []
        for i, blk in enumerate(self.dec.block):
            sa = blk.layer[0]
            x = sa.layer_norm(h)
            q, k, v = (proj(x).view(r, 1, self.h, self.dk).transpose(1, 2) for proj in
                       (sa.SelfAttention.q, sa.SelfAttention.k, sa.SelfAttention.v))  # (R, H, 1, dk)
            if cache is not None:
                k = torch.cat([cache[i][0], k], 2)
                v = torch.cat([cache[i][1], v], 2)
            new_cache.append((k, v))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), scale=1.0)  # (R, H, 1, dk)
            h = h + sa.SelfAttention.o(a.transpose(1, 2).reshape(r, 1, -1))
            ca = blk.layer[1]
            x = ca.layer_norm(h)
            q = ca.EncDecAttention.q(x).view(self.batch, w, self.h, self.dk).transpose(1, 2)  # (B, H, w, dk)
            ck, cv = self.cross[i]
            a = F.scaled_dot_product_attention(q, ck.to(q.dtype), cv.to(q.dtype), attn_mask=self.cross_mask,
                                               scale=1.0)  # (B, H, w, dk)
            h = h + ca.EncDecAttention.o(a.transpose(1, 2).reshape(r, 1, -1))
            ff = blk.layer[2]
            h = h + ff.DenseReluDense(ff.layer_norm(h))
        h = self.dec.final_layer_norm(h)[:, 0] * self.scale_out  # (R, d)
        return self.model.lm_head(h), new_cache

    @staticmethod
    def reorder(cache: list, idx: torch.Tensor) -> list:
        return [(k[idx], v[idx]) for k, v in cache]
