"""LC-Rec on a tiny randomly initialised Llama and a tokenizer trained in the test (no download)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.recommend.helpers import check_resume, sid_context
from unisid.config import load_config
from unisid.data import generate_synthetic
from unisid.recommend.lcrec import LCRecTask
from unisid.recommend.prompts import TEMPLATES, PromptBuilder, sid_string

TINY = ["recommender.backbone=lcrec", "recommender.lcrec.batch_size=8", "recommender.lcrec.grad_accum=1",
        "recommender.lcrec.valid_users=20", "recommender.lcrec.warmup_steps=2", "recommender.lcrec.beam=8",
        "recommender.lcrec.lr=0.01", "recommender.topk=8", "recommender.lcrec.history_items=5",
        "recommender.lcrec.max_samples={seqrec: 40, fusionseqrec: 16, preference: 16}",
        'recommender.lcrec.mixed_precision="no"']


def tiny_tokenizer(ds):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    corpus = [it.title + " " + it.description + " " + it.categories for it in ds.items]
    corpus += [t for ts in TEMPLATES.values() for t in ts] + ["### Instruction:\n### Response:\n"]
    tk.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="</s>")


def tiny_llama(vocab: int, tied: bool = True, seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=tied,
                                        bos_token_id=1, eos_token_id=2, pad_token_id=2))


def _ctx(tmp_path, overrides=(), n_items=30):
    cfg = load_config(None, [*TINY, *overrides])
    return sid_context(tmp_path, cfg, 60, n_items, n_intents=5)


def _task(tmp_path, tied=True, overrides=()):
    ctx = _ctx(tmp_path, overrides)
    tok = tiny_tokenizer(ctx.dataset)
    return LCRecTask(ctx, ctx.cfg.recommender.lcrec, tok, tiny_llama(len(tok), tied))


def _new_rows(task) -> tuple[torch.Tensor, torch.Tensor]:
    """Effective (input embedding, output head) rows of the SID tokens as the model uses them."""
    ids = torch.tensor(task.new_ids)
    base = task.model.get_base_model()
    with torch.no_grad():
        emb = base.get_input_embeddings()(ids.unsqueeze(0))[0]
        head = base.get_output_embeddings()(torch.eye(emb.shape[1]))[:, ids].T  # (n_new, d)
    return emb.clone(), head.clone()


def test_sid_tokens_added_as_single_tokens(tmp_path):
    task = _task(tmp_path)
    assert task.new_ids == list(range(task.first, task.first + 12))
    sid = sid_string(task.ctx.codes[3])
    ids = task.tok(sid, add_special_tokens=False)["input_ids"]
    assert len(ids) == 3
    assert [i - o for i, o in zip(ids, task.offsets, strict=True)] == task.ctx.codes[3].tolist()


def test_every_task_builds_prompts_and_skips_missing_text(tmp_path):
    ctx = _ctx(tmp_path)
    b = PromptBuilder(ctx.dataset, ctx.codes, 5, 40, 10)
    ex = b.build(ctx.split, ["seqrec", "item2index", "index2item", "fusionseqrec", "itemsearch", "preference"], {}, 0)
    tasks = {e.task for e in ex}
    assert tasks == {"seqrec", "item2index", "index2item", "fusionseqrec", "itemsearch", "preference"}
    seq = [e for e in ex if e.task == "seqrec"][0]
    assert seq.response.count("<") == 3 and seq.prompt.endswith("### Response:\n")
    for it in ctx.dataset.items:
        it.categories = ""
    ex = PromptBuilder(ctx.dataset, ctx.codes, 5, 40, 10).build(ctx.split, ["itemsearch", "preference", "index2item"],
                                                                 {}, 0)
    assert {e.task for e in ex} == {"index2item"}


@pytest.mark.parametrize("tied,mode", [(True, "trainable_tokens"), (False, "trainable_tokens"),
                                        (True, "modules_to_save")])
def test_new_token_rows_change_after_a_step(tmp_path, tied, mode):
    task = _task(tmp_path, tied, [f"recommender.lcrec.new_tokens={mode}"])
    emb0, head0 = _new_rows(task)
    frozen = {n: p.detach().clone() for n, p in task.model.named_parameters() if not p.requires_grad}
    opt = torch.optim.AdamW([p for p in task.model.parameters() if p.requires_grad], lr=0.05)
    task.model.train()
    loss = task.loss(task.batches(0)[0])
    loss.backward()
    opt.step()
    emb1, head1 = _new_rows(task)
    assert (emb1 - emb0).abs().sum(-1).gt(0).all()  # every SID row moved (mean-init rows get grads too)
    assert (head1 - head0).abs().sum(-1).gt(0).all()
    for n, p in task.model.named_parameters():
        if not p.requires_grad:
            assert torch.equal(p, frozen[n]), n  # the base model stays frozen


def test_response_only_loss_matches_hf_loss(tmp_path):
    task = _task(tmp_path)
    task.model.eval()
    batch = task.batches(0)[0]
    ids, mask, labels = task.collate(batch)
    ours = task.loss(batch)
    ref = task.model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert torch.allclose(ours, ref, atol=1e-5)


def test_constrained_beam_search_returns_real_items_and_matches_exhaustive(tmp_path):
    task = _task(tmp_path, overrides=["recommender.lcrec.beam=30"])
    task.model.eval()
    torch.manual_seed(1)
    with torch.no_grad():  # new rows start identical (mean init) and LoRA B at zero: randomise them
        for p in task.model.parameters():
            if p.requires_grad:
                p.normal_(0, 0.3)
    users = np.arange(4)
    ids, mask = task.prompt_batch(users, "test")
    items, scores = task.beam_search(ids, mask, beam=30, topk=30)
    assert items.shape == (4, 30) and items.min() >= 0 and len(set(items[0].tolist())) == 30
    # exhaustive: log p(SID | prompt) of every item for user 0, from an unpadded prompt
    p0 = ids[0][mask[0].bool()]
    seqs = torch.cat([p0.expand(30, -1), torch.from_numpy(task.ctx.codes + np.asarray(task.offsets))], 1)
    with torch.no_grad():
        logp = torch.log_softmax(task.model(input_ids=seqs).logits.float(), -1)
    n = len(p0)
    full = sum(logp[torch.arange(30), n - 1 + lv, seqs[:, n + lv]] for lv in range(3))
    # the beam's score of each item is that item's exact SID log-probability, and the beam ranks
    # all items in exhaustive order (a random tiny LM has near-ties, hence compare scores)
    np.testing.assert_allclose(scores[0], full[items[0]].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores[0], torch.sort(full, descending=True).values.numpy(), rtol=1e-5, atol=1e-5)
    assert full.max() - full.min() > 1e-3  # the scores do differ between items


def test_two_steps_train_and_eval_write_metrics(tmp_path, cli):
    """End to end through `unisid run` with the tiny Llama saved as a local model folder."""
    from tests.conftest import FAST

    ds = generate_synthetic(60, 30, seed=1)
    tok = tiny_tokenizer(ds)
    folder = tmp_path / "tiny-llama"
    tiny_llama(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    out = tmp_path / "run"
    code, stdout, err = cli("run", "configs/quickstart.yaml", "--out", str(out), *sum([["--set", s] for s in [
        *FAST, *TINY, "data.synthetic.n_users=100", "data.synthetic.n_items=60", "fusion.method=concat",
        f"recommender.lcrec.model={folder}", "recommender.lcrec.max_samples={seqrec: 16, item2index: 0, "
        "index2item: 0, fusionseqrec: 0, itemsearch: 0, preference: 0}", "recommender.lcrec.eval_users=30"]], []))
    assert code == 0, stdout + err
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["test"]) >= {"recall@5", "recall@10", "ndcg@5", "ndcg@10"}
    assert metrics["evaluated_users"] == 30
    hist = json.loads((out / "rec" / "history.json").read_text())
    assert hist["epoch"] == [1] and hist["tokens_per_s"][0] > 0
    ranked = np.load(out / "rankings" / "test.npy")
    users = np.load(out / "rankings" / "eval_users.npy")
    assert (ranked[users] >= 0).all()  # evaluated users get real items only
    page = (out / "report.html").read_text()
    assert "fixed sample of 30 users" in page and "by target-item popularity" in page


def test_default_llm_is_the_packaged_smollm2_gguf():
    """The README's install step provides the default model offline (no load here: ~20 s)."""
    from pathlib import Path

    from unisid.recommend.llm import SMOLLM2_GGUF, resolve_model

    folder, gguf = resolve_model("smollm2", None)
    assert gguf == SMOLLM2_GGUF and (Path(folder) / gguf).stat().st_size > 50_000_000
    assert resolve_model("Qwen/Qwen2.5-0.5B", None) == ("Qwen/Qwen2.5-0.5B", None)


def test_training_resumes_identically_from_trainable_only_checkpoints(tmp_path):
    """Interrupt after epoch 1 of 2, re-run: same history, rankings and trainable weights. The
    checkpoints hold only the trainable tensors (LoRA + new-token rows), not the frozen base."""
    from unisid.recommend.lcrec import train_lcrec

    over = ["recommender.lcrec.epochs=2", "recommender.lcrec.patience=5", "recommender.lcrec.eval_users=10",
            "recommender.lcrec.max_samples={seqrec: 16, item2index: 8, index2item: 8, fusionseqrec: 8, "
            "itemsearch: 8, preference: 8}"]

    def go(root, **kw):
        ctx = _ctx(root, over)
        tok = tiny_tokenizer(ctx.dataset)
        return train_lcrec(ctx, tok, tiny_llama(len(tok)), **kw)

    weights = check_resume(go, tmp_path, stop_after=1)
    assert all("lora" in k or "token" in k for k in weights)
