import numpy as np
import torch

from tests.recommend.helpers import TIGER_TINY as TINY
from tests.recommend.helpers import check_resume, sid_context
from unisid.config import load_config
from unisid.recommend.tiger import TigerTask


def _ctx(tmp_path, n_items=40, overrides=()):
    cfg = load_config(None, [*TINY, *overrides])
    return sid_context(tmp_path, cfg, 120, n_items, n_intents=6)


def test_beam_search_equals_exhaustive_scoring(tmp_path):
    ctx = _ctx(tmp_path)
    task = TigerTask(ctx, ctx.cfg.recommender.tiger.model_copy(update={"beam": 40}))
    task.model.eval()
    ids, mask = task.encode_users(np.arange(5), "test")
    items, scores = task.beam_search(ids, mask, beam=40, topk=40)
    full = task.score_all_items(ids, mask)  # (5, n_items)
    for u in range(5):
        order = torch.argsort(full[u], descending=True).numpy()
        assert items[u].tolist() == order.tolist()
        np.testing.assert_allclose(scores[u], full[u][order].numpy(), rtol=1e-4, atol=1e-4)


def test_narrow_beam_returns_distinct_real_items(tmp_path):
    ctx = _ctx(tmp_path)
    task = TigerTask(ctx, ctx.cfg.recommender.tiger.model_copy(update={"beam": 6}))
    ranked = task.rank(np.arange(20), "valid", 6)
    assert ranked.shape == (20, 6)
    for row in ranked:
        assert len(set(row.tolist())) == 6 and row.min() >= 0 and row.max() < 40


def test_training_resumes_identically(tmp_path):
    """Interrupt after epoch 2 of 3, re-run: same weights and history as an uninterrupted run."""
    from unisid.recommend.tiger import tiger

    over = ["recommender.tiger.epochs=3", "recommender.tiger.patience=5"]
    check_resume(lambda root, **kw: tiger(_ctx(root, overrides=over), **kw), tmp_path, stop_after=2)


def test_distillation_option_trains(tmp_path):
    ctx = _ctx(tmp_path, overrides=["recommender.tiger.distill_weight=0.5", "recommender.tiger.epochs=1"])
    ctx.unified = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    task = TigerTask(ctx, ctx.cfg.recommender.tiger)
    before = task.distill.weight.detach().clone()
    opt = torch.optim.AdamW(task.model.parameters(), lr=1e-2)
    loss = task.loss(task.batches(0)[0])
    loss.backward()
    opt.step()
    assert not torch.equal(before, task.distill.weight)
