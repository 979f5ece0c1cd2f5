"""LC-Rec-style LLM recommender: SID codes become new tokens of a causal LM, fine-tuned with LoRA
(plus the new tokens' embedding/output rows) on multi-task alignment prompts, decoded with the
trie-constrained beam search shared with TIGER (``unisid.decode``).

Training runs on the shared loop (``recommend.loop.fit``: accelerate, bf16 autocast, gradient
accumulation, early stopping, checkpoint + resume; only trainable tensors are checkpointed).
The loss is next-token cross-entropy on the response tokens only; the output head is applied to
response positions only, which saves the (tokens x vocabulary) logits of the prompt.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F

from unisid.config import LCRecConfig
from unisid.decode import SIDTrie, constrained_beam_search
from unisid.recommend.base import Rankings, RecContext, register_backbone
from unisid.recommend.llm import add_sid_tokens, load_causal_lm, wrap_peft
from unisid.recommend.loop import Task, final_rankings, fit_generative, rank_in_batches, validation_users
from unisid.recommend.prompts import PromptBuilder
from unisid.recommend.sid_vocab import bucketed_batches, pad_batch
from unisid.train import seed_everything

IGNORE = -100


class LCRecTask(Task):
    def __init__(self, ctx: RecContext, cfg: LCRecConfig, tokenizer=None, model=None) -> None:
        """``tokenizer``/``model``: an already loaded HF pair (tests); default loads ``cfg.model``."""
        self.ctx, self.cfg = ctx, cfg
        if model is None:
            tokenizer, model = load_causal_lm(cfg.model, cfg.gguf_file)
        self.tok = tokenizer
        sizes = list(ctx.codebook_sizes)
        self.first = add_sid_tokens(tokenizer, model, sizes)
        self.offsets = [self.first + sum(sizes[:lv]) for lv in range(len(sizes))]
        self.sizes = sizes
        self.new_ids = list(range(self.first, self.first + sum(sizes)))
        self.model = wrap_peft(model, cfg, self.new_ids)
        self.trie = SIDTrie.build(ctx.codes, sizes)
        self.prompts = PromptBuilder(ctx.dataset, ctx.codes, cfg.history_items, cfg.max_title_chars,
                                     cfg.max_description_words)
        self.examples = self.prompts.build(ctx.split, cfg.tasks, cfg.max_samples, ctx.cfg.seed)
        if not self.examples:
            from unisid.errors import UnisidError

            raise UnisidError("recommender.lcrec.tasks produced no training prompts")
        eos = tokenizer.eos_token_id
        self.seqs, self.n_prompt = [], []
        for ex in self.examples:
            p = self._encode_prompt(ex.prompt)
            r = tokenizer(ex.response, add_special_tokens=False)["input_ids"] + [eos]
            self.seqs.append(np.asarray(p + r, dtype=np.int64))
            self.n_prompt.append(len(p))
        self.lengths = np.array([len(s) for s in self.seqs])
        self.task_counts = dict(Counter(ex.task for ex in self.examples))

    def _encode_prompt(self, prompt: str) -> list[int]:
        ids = self.tok(prompt, add_special_tokens=False)["input_ids"]
        bos = self.tok.bos_token_id
        return ([bos] if bos is not None and getattr(self.tok, "add_bos_token", True) else []) + ids

    @property
    def tokens_per_epoch(self) -> int:
        return int(self.lengths.sum())

    # --- training -----------------------------------------------------------------------------
    def batches(self, epoch: int) -> list[np.ndarray]:
        gen = np.random.default_rng([self.ctx.cfg.seed, epoch])
        return bucketed_batches(self.lengths, self.cfg.batch_size, gen)

    def collate(self, batch: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Right-padded (ids, mask, labels), each (B, S); labels are IGNORE on prompt and padding."""
        seqs = [self.seqs[i] for i in batch]
        ids, mask = pad_batch(seqs, self.tok.pad_token_id)
        labels, _ = pad_batch([np.where(np.arange(len(s)) < self.n_prompt[i], IGNORE, s)
                               for i, s in zip(batch, seqs, strict=True)], IGNORE)
        return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(labels)

    def loss(self, batch: np.ndarray) -> torch.Tensor:
        ids, mask, labels = (t.to(self.device) for t in self.collate(batch))
        base = self.model.get_base_model()
        hidden = base.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, S, d)
        target = labels[:, 1:]  # position t predicts token t+1
        keep = target != IGNORE  # (B, S-1)
        logits = base.get_output_embeddings()(hidden[:, :-1][keep])  # (n_response_tokens, V)
        return F.cross_entropy(logits.float(), target[keep])

    # --- decoding -----------------------------------------------------------------------------
    def prompt_batch(self, users: np.ndarray, stage: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded seqrec prompts: (ids, mask), each (B, S)."""
        split = self.ctx.split
        seqs = [self._encode_prompt(self.prompts.seqrec_prompt(split.history(int(u), stage))) for u in users]
        ids, mask = pad_batch(seqs, self.tok.pad_token_id, left=True)
        return torch.from_numpy(ids), torch.from_numpy(mask)

    @torch.no_grad()
    def beam_search(self, ids: torch.Tensor, mask: torch.Tensor, beam: int, topk: int) -> tuple[np.ndarray, np.ndarray]:
        model, offsets, sizes, dev = self.model, self.offsets, self.sizes, self.device
        ids, mask = ids.to(dev), mask.to(dev)

        def step(level, prev, cache):
            if prev is None:  # the prompt, once per user
                pos = (mask.cumsum(-1) - 1).clamp_min(0)  # (B, S): left padding shifts nothing
                out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
                am, last = mask, pos[:, -1]
            else:
                pkv, am, last = cache
                am = torch.cat([am, am.new_ones(len(am), 1)], 1)
                last = last + 1
                out = model(input_ids=(prev.to(dev) + offsets[level - 1]).unsqueeze(1), attention_mask=am,
                            position_ids=last.unsqueeze(1), past_key_values=pkv, use_cache=True, logits_to_keep=1)
            logp = torch.log_softmax(out.logits[:, -1].float(), -1)  # (rows, V)
            return logp[:, offsets[level] : offsets[level] + sizes[level]].cpu(), (out.past_key_values, am, last)

        def reorder(cache, idx, expand):
            pkv, am, last = cache
            idx = idx.to(dev)
            pkv.reorder_cache(idx)
            return pkv, am[idx], last[idx]

        return constrained_beam_search(step, reorder, None, len(ids), self.trie, beam, topk)

    def rank(self, users: np.ndarray, stage: str, k: int) -> np.ndarray:
        def one(batch_users: np.ndarray) -> np.ndarray:
            ids, mask = self.prompt_batch(batch_users, stage)
            return self.beam_search(ids, mask, self.cfg.beam, min(k, self.cfg.beam))[0]

        return rank_in_batches(one, users, self.cfg.eval_batch_size, k, desc=f"LC-Rec {stage}")


def train_lcrec(ctx: RecContext, tokenizer=None, model=None, on_epoch_end=None) -> Rankings:
    cfg = ctx.cfg.recommender.lcrec
    seed_everything(ctx.cfg.seed)
    task = LCRecTask(ctx, cfg, tokenizer, model)
    print(f"LC-Rec prompts: {task.task_counts} ({task.tokens_per_epoch:,} tokens per epoch)")
    hist = fit_generative(task, ctx, "lcrec", "LC-Rec", on_epoch_end)
    hist["tokens_per_epoch"] = task.tokens_per_epoch
    hist["task_counts"] = task.task_counts
    hist["tokens_per_s"] = [task.tokens_per_epoch / task.lengths.size * s for s in hist["samples_per_s"]]
    n = ctx.split.n_users
    users = validation_users(n, cfg.eval_users, ctx.cfg.seed + 1)
    r = final_rankings(task, n, users, ctx.cfg.recommender.topk, cfg.mixed_precision, hist)
    return Rankings(r["valid"], r["test"], hist, eval_users=users if len(users) < n else None)


@register_backbone("lcrec", needs_sids=True)
def lcrec(ctx: RecContext, on_epoch_end=None) -> Rankings:
    return train_lcrec(ctx, on_epoch_end=on_epoch_end)
