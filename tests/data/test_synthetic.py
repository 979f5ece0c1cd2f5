import numpy as np

from unisid.data import LeaveOneOut, generate_synthetic


def test_deterministic_by_seed():
    a = generate_synthetic(n_users=200, n_items=120, seed=3)
    b = generate_synthetic(n_users=200, n_items=120, seed=3)
    c = generate_synthetic(n_users=200, n_items=120, seed=4)
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != c.content_hash()


def test_shape_and_text():
    ds = generate_synthetic(n_users=300, n_items=150, seed=0)
    assert ds.n_items == 150
    assert all(len(s) >= 3 for s in ds.sequences)
    assert all(len(set(s.tolist())) == len(s) for s in ds.sequences)  # no repeats
    assert all(it.title and it.categories for it in ds.items)


def test_semantic_collaborative_gap_and_tail():
    """Co-interaction links items across categories (intents chain 3 categories), popularity has a
    tail, and cold items (no intent) get far fewer interactions."""
    ds = generate_synthetic(n_users=1500, n_items=300, seed=1)
    cat = np.array(ds.meta["category"])
    cold = np.array(ds.meta["cold"])
    consecutive = [(s[t], s[t + 1]) for s in ds.sequences for t in range(len(s) - 1)]
    cross = np.mean([cat[a] != cat[b] for a, b in consecutive])
    assert cross > 0.4, cross  # much co-interaction crosses categories: text alone can't recover it
    counts = np.bincount(np.concatenate(ds.sequences), minlength=ds.n_items)
    top10 = np.sort(counts)[::-1][: ds.n_items // 10].sum() / counts.sum()
    assert top10 > 0.2  # popularity head
    assert cold.sum() > 0
    assert counts[cold].mean() < 0.5 * counts[~cold].mean()


def test_scales_config():
    ds = generate_synthetic(n_users=50, n_items=2000, n_categories=12, n_intents=40, seed=0)
    assert ds.n_items == 2000
    LeaveOneOut.from_dataset(ds)
