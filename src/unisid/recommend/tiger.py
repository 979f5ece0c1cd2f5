"""TIGER-style generative retrieval: an HF T5 encoder-decoder trained from scratch to generate the
next item's SID from the user's history SIDs, decoded with the trie-constrained beam search.

HF T5 was kept over a hand-written transformer: with bf16 autocast and length-bucketed batches it
trains at the throughput recorded in benchmarks/results/tiger_office.md, and it lets the decoding
benchmark compare our beam search with HF ``generate`` on the very same model.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from unisid.config import TigerConfig
from unisid.decode import SIDTrie, constrained_beam_search
from unisid.recommend.base import Rankings, RecContext, register_backbone
from unisid.recommend.loop import Task, final_rankings, fit_generative, rank_in_batches
from unisid.recommend.sid_vocab import PAD, SIDVocab, bucketed_batches, pad_batch
from unisid.recommend.t5_decoder import T5BeamDecoder
from unisid.train import seed_everything


def build_t5(cfg: TigerConfig, vocab_size: int):
    from transformers import T5Config, T5ForConditionalGeneration

    t5 = T5Config(
        vocab_size=vocab_size, d_model=cfg.d_model, d_ff=cfg.d_ff, num_layers=cfg.num_layers,
        num_decoder_layers=cfg.num_decoder_layers, num_heads=cfg.num_heads, d_kv=cfg.d_kv,
        dropout_rate=cfg.dropout, feed_forward_proj="relu", pad_token_id=PAD, eos_token_id=1,
        decoder_start_token_id=PAD, tie_word_embeddings=True,
    )
    return T5ForConditionalGeneration(t5)


class TigerTask(Task):
    def __init__(self, ctx: RecContext, cfg: TigerConfig) -> None:
        self.ctx, self.cfg = ctx, cfg
        self.vocab = SIDVocab(list(ctx.codebook_sizes), cfg.user_tokens)
        self.item_tokens = self.vocab.item_tokens(ctx.codes)  # (n_items, L)
        self.trie = SIDTrie.build(ctx.codes, list(ctx.codebook_sizes))
        self.model = build_t5(cfg, self.vocab.size)
        hist, tgt, users = ctx.split.train_samples()
        uids = [ctx.dataset.user_ids[u] for u in users]
        self.inputs = self.vocab.encode_histories(hist, self.item_tokens, uids)
        self.targets = tgt
        self.lengths = np.array([len(x) for x in self.inputs])
        self.distill = None
        if cfg.distill_weight > 0:
            if ctx.unified is None:
                from unisid.errors import UnisidError

                raise UnisidError("recommender.tiger.distill_weight needs a fusion embedding (not imported SIDs)")
            self.unified = F.normalize(torch.from_numpy(ctx.unified.astype(np.float32)), dim=-1)
            self.distill = torch.nn.Linear(cfg.d_model, self.unified.shape[1])
            self.model.add_module("distill_head", self.distill)  # trained and checkpointed with the model

    def batches(self, epoch: int) -> list[np.ndarray]:
        gen = np.random.default_rng([self.ctx.cfg.seed, epoch])
        return bucketed_batches(self.lengths, self.cfg.batch_size, gen)

    def loss(self, batch: np.ndarray) -> torch.Tensor:
        dev = self.device
        ids, mask = pad_batch([self.inputs[i] for i in batch])
        labels = torch.from_numpy(self.item_tokens[self.targets[batch]]).to(dev)  # (B, L)
        out = self.model(input_ids=torch.from_numpy(ids).to(dev), attention_mask=torch.from_numpy(mask).to(dev),
                         labels=labels, output_hidden_states=self.distill is not None)
        loss = out.loss
        if self.distill is not None:
            h = out.decoder_hidden_states[-1].mean(1)  # (B, d_model)
            pred = F.normalize(self.distill(h).float(), dim=-1)
            loss = loss + self.cfg.distill_weight * (1 - (pred * self.unified[self.targets[batch]].to(dev)).sum(-1)).mean()
        return loss

    # --- decoding ----------------------------------------------------------------------------
    def encode_users(self, users: np.ndarray, stage: str) -> tuple[torch.Tensor, torch.Tensor]:
        split, ds = self.ctx.split, self.ctx.dataset
        hists = [split.history(int(u), stage) for u in users]
        seqs = self.vocab.encode_histories(hists, self.item_tokens, [ds.user_ids[int(u)] for u in users])
        ids, mask = pad_batch(seqs)
        return torch.from_numpy(ids), torch.from_numpy(mask)

    @torch.no_grad()
    def beam_search(self, ids: torch.Tensor, mask: torch.Tensor, beam: int, topk: int) -> tuple[np.ndarray, np.ndarray]:
        b, dev = len(ids), self.device
        ids, mask = ids.to(dev), mask.to(dev)
        enc = self.model.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, S, d)
        dec = T5BeamDecoder(self.model, enc, mask)  # cross-attention K/V once per user, never copied per beam
        offsets, sizes = self.vocab.offsets, self.vocab.codebook_sizes

        def step(level, prev, cache):
            tokens = torch.full((b,), PAD, dtype=torch.long) if prev is None else prev + offsets[level - 1]
            logits, cache = dec.step(tokens.to(dev), cache, level)  # (rows, V)
            logp = torch.log_softmax(logits.float(), -1)
            return logp[:, offsets[level] : offsets[level] + sizes[level]].cpu(), cache  # the trie lives on CPU

        return constrained_beam_search(step, lambda cache, idx, expand: dec.reorder(cache, idx.to(dev)), None, b,
                                       self.trie, beam, topk)

    def rank(self, users: np.ndarray, stage: str, k: int) -> np.ndarray:
        def one(batch_users: np.ndarray) -> np.ndarray:
            ids, mask = self.encode_users(batch_users, stage)
            return self.beam_search(ids, mask, self.cfg.beam, min(k, self.cfg.beam))[0]

        return rank_in_batches(one, users, self.cfg.eval_batch_size, k)

    @torch.no_grad()
    def score_all_items(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Exhaustive SID log-probability of every item for each user, (B, n_items)."""
        n = len(self.item_tokens)
        labels = torch.from_numpy(self.item_tokens)  # (n, L)
        out = torch.empty(len(ids), n)
        for u in range(len(ids)):
            enc = self.model.get_encoder()(input_ids=ids[u : u + 1], attention_mask=mask[u : u + 1]).last_hidden_state
            logits = self.model(encoder_outputs=(enc.expand(n, -1, -1),), attention_mask=mask[u : u + 1].expand(n, -1),
                                labels=labels).logits  # (n, L, V)
            out[u] = torch.log_softmax(logits.float(), -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1).sum(-1)
        return out


@register_backbone("tiger", needs_sids=True)
def tiger(ctx: RecContext, on_epoch_end=None) -> Rankings:
    cfg = ctx.cfg.recommender.tiger
    seed_everything(ctx.cfg.seed)
    task = TigerTask(ctx, cfg)
    hist = fit_generative(task, ctx, "tiger", "TIGER", on_epoch_end)
    n = ctx.split.n_users
    r = final_rankings(task, n, np.arange(n), ctx.cfg.recommender.topk, cfg.mixed_precision, hist)
    return Rankings(r["valid"], r["test"], hist)
