import numpy as np
import pytest
import torch

from unisid.decode import SIDTrie, constrained_beam_search

CODES = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 0], [3, 0, 1], [3, 3, 3]])


def test_trie_structure():
    trie = SIDTrie.build(CODES, [4, 4, 4])
    assert trie.allowed[0].tolist() == [True, False, False, True]
    n0 = trie.child[0, 0]
    assert trie.allowed[n0].tolist() == [False, True, True, False]
    assert all(trie.is_valid(r) for r in CODES.tolist())
    assert not trie.is_valid([0, 1, 0]) and not trie.is_valid([1, 0, 0])
    assert not trie.allowed[trie.dead].any()
    with pytest.raises(ValueError, match="distinct"):
        SIDTrie.build(np.array([[0, 1], [0, 1]]))


def _table_model(seed=0, batch=3, k=4):
    """A fake step: logp depends on (user, level, previous code) through fixed random tables."""
    g = torch.Generator().manual_seed(seed)
    tables = [torch.log_softmax(torch.randn(batch, k, k + 1, generator=g), -1) for _ in range(3)]

    def step(level, prev, cache):
        rows_user = cache  # (rows,) user index of each row
        if prev is None:
            return tables[0][rows_user, :, k], cache
        return tables[level][rows_user, :, prev], cache

    def reorder(cache, idx, expand):
        return cache[idx]

    def exhaustive(user):
        s = []
        for row in CODES:
            lp = tables[0][user, row[0], k] + tables[1][user, row[1], row[0]] + tables[2][user, row[2], row[1]]
            s.append(float(lp))
        return np.array(s)

    return step, reorder, exhaustive


@pytest.mark.parametrize("beam", [2, 5, 8])
def test_beam_returns_real_items_and_matches_exhaustive(beam):
    trie = SIDTrie.build(CODES, [4, 4, 4])
    step, reorder, exhaustive = _table_model()
    items, scores = constrained_beam_search(step, reorder, torch.arange(3), 3, trie, beam=beam, topk=min(beam, 5))
    for u in range(3):
        got = items[u][items[u] >= 0]
        assert len(set(got.tolist())) == len(got)  # distinct real items
        assert set(got.tolist()) <= set(range(len(CODES)))
        if beam >= len(CODES):  # wide beam = exhaustive ranking
            ex = exhaustive(u)
            assert got.tolist() == np.argsort(-ex, kind="stable").tolist()
            np.testing.assert_allclose(scores[u], np.sort(ex)[::-1], rtol=1e-5)
    if beam > len(CODES):
        assert (items[:, len(CODES):] == -1).all()


def test_topk_above_beam_rejected():
    trie = SIDTrie.build(CODES)
    step, reorder, _ = _table_model()
    with pytest.raises(ValueError):
        constrained_beam_search(step, reorder, torch.arange(3), 3, trie, beam=2, topk=3)
