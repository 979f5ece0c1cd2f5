import numpy as np
import pytest
import torch

from tests.conftest import FAST
from unisid.config import FusionConfig, UQFConfig, load_config
from unisid.data import LeaveOneOut, generate_synthetic
from unisid.fuse import FUSERS, FusionInputs
from unisid.fuse.neighbors import co_interaction_neighbors, text_knn
from unisid.fuse.uqf import UQF
from unisid.pipeline import tokenize
from unisid.runs import Run

SYN = ["data.synthetic.n_users=600", "data.synthetic.n_items=300", "embed.cf.epochs=30",
       "quantizer.method=rqkmeans", "quantizer.codebook_sizes=[16,16,16]", "fusion.uqf.epochs=12"]


def test_uqf_unifies_both_views(tmp_path):
    """UQF SIDs: more collaborative than text SIDs, more semantic than CF SIDs (fixed seed)."""
    rep = {}
    for method in ["text", "cf", "uqf"]:
        cfg = load_config(None, [*SYN, f"fusion.method={method}"])
        rep[method] = tokenize(Run(tmp_path / "r", cfg), cfg).report
    col = {m: r["collaborative_consistency"]["level1"] for m, r in rep.items()}
    sem = {m: r["semantic_consistency"]["level1"] for m, r in rep.items()}
    assert col["uqf"] > col["text"], col
    assert sem["uqf"] > sem["cf"], sem
    g = rep["uqf"]["gates"]
    assert 0.05 < g["mean_warm_items"] < 0.95  # both branches used
    assert g["mean_cold_items"] == 1.0  # items without interactions rely on text only
    gates = np.load(tmp_path / "r" / "fuse" / "extras.npz")["gates"]
    assert gates.shape == (300, 8)


def _inputs(n_users=200, n_items=80, seed=0):
    ds = generate_synthetic(n_users, n_items, seed=seed)
    split = LeaveOneOut.from_dataset(ds)
    rng = np.random.default_rng(seed)
    cold = split.item_train_counts() == 0
    return FusionInputs(
        text=rng.standard_normal((n_items, 32)).astype(np.float32), cf=rng.standard_normal((n_items, 16)).astype(np.float32),
        cf_layers=rng.standard_normal((n_items, 3, 16)).astype(np.float32), cf_cold=cold, split=split,
        text_tokens=rng.standard_normal((n_items, 6, 32)).astype(np.float16),
        text_token_mask=np.arange(6)[None] < rng.integers(1, 7, n_items)[:, None], seed=seed,
    )


@pytest.mark.parametrize("overrides", [
    {"use_queries": False, "gate": "fixed"},
    {"lambda_struct": 0.0}, {"lambda_sem": 0.0}, {"p_drop_cf": 0.0, "p_drop_text": 0.0},
    {"text_tokens": "encoder"},
])
def test_ablation_paths_train(overrides):
    inputs = _inputs()
    cfg = FusionConfig(method="uqf", uqf=UQFConfig(epochs=6, hidden=32, dim=24, batch_size=40, mixed_precision="no",
                                                   text_segments=4, **overrides))
    out = FUSERS.get("uqf")(inputs, cfg)
    assert out.embedding.shape == (80, 24) and np.isfinite(out.embedding).all()
    np.testing.assert_allclose(np.linalg.norm(out.embedding, axis=1), 1, atol=1e-4)
    assert out.log["loss"][-1] < out.log["loss"][0]
    if overrides.get("gate") == "fixed":
        warm = ~inputs.cf_cold
        assert np.allclose(out.extras["gates"][warm], 0.5)


def test_gate_is_forced_by_missing_branch():
    cfg = UQFConfig(hidden=16, dim=8, n_queries=3, layers=1, heads=2)
    m = UQF(10, 4, 6, 5, cfg, 10, 6).eval()
    b = 4
    tt, tp = torch.randn(b, 4, 10), torch.zeros(b, 4, dtype=torch.bool)
    ct, cp = torch.randn(b, 5, 6), torch.zeros(b, 5, dtype=torch.bool)
    cf_missing = torch.tensor([True, False, False, False])
    text_missing = torch.tensor([False, True, False, False])
    cp[0] = True  # a fully padded CF row (cold item) must not produce NaN
    z, g = m(tt, tp, ct, cp, text_missing, cf_missing)
    assert torch.isfinite(z).all()
    assert (g[0] == 1).all() and (g[1] == 0).all()
    assert ((g[2:] > 0) & (g[2:] < 1)).all()


def test_neighbors():
    import scipy.sparse as sp

    m = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32))
    from unisid.data.split import cooccurrence

    idx, cnt = co_interaction_neighbors(cooccurrence(m), 2)
    assert idx[0].tolist() == [1, 2] and cnt[0].tolist() == [2, 1]
    assert idx[3].tolist() == [-1, -1]
    emb = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    assert text_knn(emb, 1)[:, 0].tolist() == [1, 0, 3, 2]


def test_cold_item_gets_valid_distinct_sid(tmp_path):
    """Items in the catalogue with no interaction at all still get a valid, distinct SID."""
    import json

    from unisid.data import export_lcrec

    export_lcrec(generate_synthetic(300, 150, seed=0), tmp_path / "data", "Syn")
    items = json.loads((tmp_path / "data" / "Syn.item.json").read_text())
    for k in range(3):  # three new items, text only
        items[f"new{k}"] = {"title": f"brand new gadget model {k}", "categories": "Synthetic, Gadgets"}
    (tmp_path / "data" / "Syn.item.json").write_text(json.dumps(items))
    cfg = load_config(None, [*FAST, f"data.path={tmp_path / 'data'}", "fusion.method=uqf", "fusion.uqf.epochs=3"])
    tok = tokenize(Run(tmp_path / "r", cfg), cfg)
    cold = np.load(tmp_path / "r" / "embed" / "cf_cold.npy")
    new = [tok.dataset.item_ids.index(f"new{k}") for k in range(3)]
    assert cold[new].all()
    assert len({tuple(r) for r in tok.codes}) == len(tok.codes) == 153
    for lv, size in enumerate(tok.codebook_sizes):
        assert tok.codes[new, lv].max() < size
    gates = np.load(tmp_path / "r" / "fuse" / "extras.npz")["gates"]
    assert (gates[new] == 1).all()
