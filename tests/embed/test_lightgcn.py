import numpy as np

from unisid.config import CFEmbedConfig
from unisid.data import Dataset, Item, LeaveOneOut, generate_synthetic
from unisid.embed.lightgcn import _adjacency, train_lightgcn


def test_lightgcn_layers_cold_flags_and_learning():
    ds = generate_synthetic(n_users=400, n_items=120, seed=2)
    split = LeaveOneOut.from_dataset(ds)
    r = train_lightgcn(split, CFEmbedConfig(dim=16, layers=2, epochs=20, eval_every=5, patience=10), seed=0)
    assert r.item_emb.shape == (120, 16) and r.item_layers.shape == (120, 3, 16)
    np.testing.assert_allclose(r.item_layers.mean(1), r.item_emb, atol=1e-5)
    counts = split.item_train_counts()
    assert (r.cold == (counts == 0)).all()
    recalls = [v for _, v in r.log["valid_recall@20"]]
    assert max(recalls) > 20 / 120  # better than random ranking


def test_graph_has_only_train_edges():
    seqs = [np.array([0, 1, 2, 3]), np.array([2, 3, 4])]
    ds = Dataset("t", [str(i) for i in range(5)], [Item() for _ in range(5)], ["a", "b"], seqs)
    split = LeaveOneOut.from_dataset(ds)
    adj = _adjacency(split).to_dense()
    n_users = 2
    items_of = {u: set((adj[u, n_users:] > 0).nonzero().flatten().tolist()) for u in range(2)}
    assert items_of == {0: {0, 1}, 1: {2}}  # valid/test items (2,3 / 3,4) are absent
