import numpy as np
import pytest
import torch

from unisid.config import QuantizerConfig
from unisid.quantize import QUANTIZERS, collision_rate, resolve_collisions
from unisid.quantize.base import sinkhorn


def _clustered(n=300, d=16, k=6, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((k, d)) * 3
    lab = rng.integers(0, k, n)
    return (centers[lab] + 0.3 * rng.standard_normal((n, d))).astype(np.float32), lab


@pytest.mark.parametrize("method", ["rqvae", "rqkmeans"])
def test_quantizers_shapes_and_cluster_structure(method):
    x, lab = _clustered()
    cfg = QuantizerConfig(method=method, codebook_sizes=[6, 8, 8], code_dim=8, hidden_dims=[32], epochs=40)
    res = QUANTIZERS.get(method)(x, cfg, seed=0)
    assert res.codes.shape == (300, 3)
    assert res.last_distances.shape == (300, 8)
    for lv, k in enumerate(cfg.codebook_sizes):
        assert res.codes[:, lv].min() >= 0 and res.codes[:, lv].max() < k
    # level-1 codes recover the clusters: each code is (almost) pure
    purity = sum(np.bincount(lab[res.codes[:, 0] == c]).max() for c in np.unique(res.codes[:, 0])) / len(lab)
    assert purity > 0.9


def test_rqkmeans_large_codebook_shapes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1200, 8)).astype(np.float32)
    cfg = QuantizerConfig(method="rqkmeans", codebook_sizes=[512, 4], kmeans_iters=5)
    res = QUANTIZERS.get("rqkmeans")(x, cfg, seed=0)
    assert res.codes.shape == (1200, 2) and res.codes[:, 0].max() < 512
    assert len(np.unique(res.codes[:, 0])) > 256  # codes are not bit-packed / truncated


def test_rqvae_sinkhorn_balances_last_level():
    x, _ = _clustered(n=400, k=3)
    base = QuantizerConfig(codebook_sizes=[3, 16], code_dim=8, hidden_dims=[32], epochs=20)
    plain = QUANTIZERS.get("rqvae")(x, base, 0)
    sk = QUANTIZERS.get("rqvae")(x, base.model_copy(update={"sinkhorn_last_level": True}), 0)
    assert np.bincount(sk.codes[:, 1], minlength=16).max() <= np.bincount(plain.codes[:, 1], minlength=16).max()


def test_sinkhorn_uniform():
    d = torch.rand(320, 16)
    d[:, 0] = 0  # everyone's nearest code is 0
    counts = np.bincount(sinkhorn(d).argmax(1).numpy(), minlength=16)
    assert counts.max() <= 40 and counts.min() >= 10


@pytest.mark.parametrize("method", ["rqvae", "rqkmeans"])
@pytest.mark.parametrize("strategy", ["reassign", "dedup_level"])
@pytest.mark.parametrize("sk", [False, True])
def test_zero_collisions_on_data_built_to_collide(method, strategy, sk):
    rng = np.random.default_rng(1)
    protos = rng.standard_normal((5, 12)).astype(np.float32)
    x = protos[rng.integers(0, 5, 400)]  # 400 items, only 5 distinct embeddings
    x[:40] += 0.01 * rng.standard_normal((40, 12)).astype(np.float32)
    cfg = QuantizerConfig(method=method, codebook_sizes=[4, 4, 32], code_dim=8, hidden_dims=[32], epochs=10,
                          collision=strategy, sinkhorn_last_level=sk)
    res = QUANTIZERS.get(method)(x, cfg, 0)
    assert collision_rate(res.codes) > 0.5
    codes, info = resolve_collisions(res.codes, strategy, res.last_distances, sk)
    assert collision_rate(codes) == 0.0
    assert len({tuple(r) for r in codes}) == 400
    assert info["collision_rate_before"] > 0.5


def test_reassign_keeps_levels_when_room():
    codes = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 2], [1, 0, 1]])
    dist = np.array([[1, 0.1, 0.5, 0.2], [1, 0.3, 0.9, 0.1], [1, 1, 0, 1], [1, 0, 1, 1]], dtype=np.float32)
    out, info = resolve_collisions(codes, "reassign", dist)
    assert out.shape == (4, 3)  # no extra level needed
    assert out[0].tolist() == [0, 0, 1]  # nearest to code 1 keeps it
    assert out[1].tolist() == [0, 0, 3]  # moves to its nearest free code (2 is taken)
    assert info["greedy_moved"] == 1


def test_dedup_level():
    codes = np.array([[0, 1], [0, 1], [2, 2], [0, 1]])
    out, _ = resolve_collisions(codes, "dedup_level")
    assert out[:, -1].tolist() == [0, 1, 0, 2]
