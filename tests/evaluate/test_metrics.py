import math

import numpy as np
import pytest
import torch

from unisid.errors import UnisidError
from unisid.evaluate import evaluate_rankings, paired_compare, topk_from_scores


def test_hand_computed():
    rankings = [[3, 1, 2], [0, 1, 2, 3, 4, 5], [7], []]
    targets = np.array([1, 5, 6, 2])
    mean, per_user = evaluate_rankings(rankings, targets, n_items=10, ks=(1, 5, 10))
    # user0: rank 1 ; user1: rank 5 ; user2: absent ; user3: empty list = miss
    assert per_user["recall@1"].tolist() == [0, 0, 0, 0]
    assert per_user["recall@5"].tolist() == [1, 0, 0, 0]
    assert per_user["recall@10"].tolist() == [1, 1, 0, 0]
    assert per_user["ndcg@5"][0] == pytest.approx(1 / math.log2(3))
    assert per_user["ndcg@10"][1] == pytest.approx(1 / math.log2(7))
    assert mean["recall@10"] == pytest.approx(0.5)
    assert mean["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(7)) / 4)


def test_rank_zero_is_one():
    mean, _ = evaluate_rankings([[4, 1]], np.array([4]), n_items=5, ks=(1,))
    assert mean == {"recall@1": 1.0, "ndcg@1": 1.0}


def test_repeated_and_unknown_ids_are_errors():
    with pytest.raises(UnisidError, match="repeats item id 2"):
        evaluate_rankings([[2, 2]], np.array([2]), n_items=5)
    with pytest.raises(UnisidError, match="unknown item id 9"):
        evaluate_rankings([[1, 9]], np.array([1]), n_items=5)
    with pytest.raises(UnisidError, match="unknown item id -1"):
        evaluate_rankings([[-1]], np.array([1]), n_items=5)


def test_topk_from_scores_excludes():
    scores = torch.tensor([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]])
    assert topk_from_scores(scores, 2).tolist() == [[1, 2], [0, 1]]
    assert topk_from_scores(scores, 2, exclude=[np.array([1]), np.array([])]).tolist() == [[2, 0], [0, 1]]


def test_paired_compare_detects_difference():
    rng = np.random.default_rng(0)
    a = {"recall@10": (rng.random(500) < 0.2).astype(float)}
    b = {"recall@10": np.maximum(a["recall@10"], (rng.random(500) < 0.2).astype(float))}
    res = paired_compare(a, b)[0]
    assert res.delta > 0 and res.t_pvalue < 0.01 and res.bootstrap_pvalue < 0.01
    assert res.ci_low > 0
    same = paired_compare(a, a)[0]
    assert same.t_pvalue == 1.0 and same.delta == 0


def test_popularity_groups_and_group_means():
    from unisid.evaluate import metrics_by_group, popularity_groups

    counts = np.array([0, 3, 5, 6, 40])  # train interactions per item
    targets = np.array([0, 1, 2, 3, 4, 4])
    group, labels = popularity_groups(counts, targets, [5, 20])
    assert labels == ["0-5", "6-20", ">20"]
    assert group.tolist() == [0, 0, 0, 1, 2, 2]
    per_user = {"recall@10": np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])}
    rows = metrics_by_group(per_user, group, labels)
    assert [r["users"] for r in rows] == [3, 1, 2]
    assert [r["recall@10"] for r in rows] == pytest.approx([1 / 3, 1.0, 0.5])
