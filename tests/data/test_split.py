import numpy as np
import pytest

from unisid.data import Dataset, Item, LeaveOneOut, generate_synthetic


def _toy():
    seqs = [np.array([0, 1, 2, 3, 4]), np.array([5, 4, 3]), np.array([1, 2, 6, 7])]
    return Dataset("toy", [str(i) for i in range(8)], [Item(title=f"t{i}") for i in range(8)],
                   ["a", "b", "c"], seqs)


def test_leave_one_out_targets_and_histories():
    s = LeaveOneOut.from_dataset(_toy(), max_history=2)
    assert s.valid_target.tolist() == [3, 4, 6]
    assert s.test_target.tolist() == [4, 3, 7]
    assert s.history(0, "valid").tolist() == [1, 2]  # truncated to max_history
    assert s.history(0, "test").tolist() == [2, 3]  # test history includes the valid item
    assert s.history(1, "valid").tolist() == [5]


def test_sliding_window_samples():
    s = LeaveOneOut.from_dataset(_toy(), max_history=2)
    hist, tgt, users = s.train_samples()
    assert tgt.tolist() == [1, 2, 2]  # user0: 0->1, [0,1]->2 ; user2: 1->2 ; user1 has 1 train item
    assert [h.tolist() for h in hist] == [[0], [0, 1], [1]]
    assert users.tolist() == [0, 0, 2]


def test_training_never_sees_valid_or_test_items():
    """Every interaction any training stage may use excludes each user's held-out positions."""
    ds = generate_synthetic(n_users=400, n_items=200, seed=5)  # synthetic sequences have no repeats
    s = LeaveOneOut.from_dataset(ds)
    users, items = s.train_interactions()
    train_pairs = set(zip(users.tolist(), items.tolist(), strict=True))
    held = {(u, int(s.valid_target[u])) for u in range(s.n_users)} | {
        (u, int(s.test_target[u])) for u in range(s.n_users)
    }
    assert not (train_pairs & held)
    hist, tgt, su = s.train_samples()
    for h, t, u in zip(hist, tgt, su, strict=True):
        assert (int(u), int(t)) not in held
        assert not any((int(u), int(x)) in held for x in h)
    m = s.train_matrix()
    for u, i in held:
        assert m[u, i] == 0
    assert m.sum() == sum(len(x) for x in s.train)


def test_needs_three_interactions():
    ds = _toy()
    ds.sequences[1] = np.array([5, 4])
    with pytest.raises(ValueError):
        LeaveOneOut.from_dataset(ds)
