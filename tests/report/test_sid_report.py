import math

import numpy as np
import pytest
import scipy.sparse as sp

from unisid.data.split import cooccurrence
from unisid.report.sid_report import (
    category_purity,
    co_interaction_rate,
    level_usage,
    random_pair_cosine,
    sid_report,
    within_group_cosine,
)


def test_within_group_cosine_hand_computed():
    emb = np.array([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    groups = np.array([0, 0, 1, 1])
    # pairs: (0,1) cos 1 ; (2,3) cos 1/sqrt2
    assert within_group_cosine(emb, groups) == pytest.approx((1 + 1 / math.sqrt(2)) / 2)
    allpairs = [1, 0, 1 / math.sqrt(2), 0, 1 / math.sqrt(2), 1 / math.sqrt(2)]
    assert random_pair_cosine(emb) == pytest.approx(np.mean(allpairs))


def test_co_interaction_rate():
    # users: u0 -> items 0,1 ; u1 -> items 2,3 ; u2 -> item 0,2
    x = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=np.float32))
    m = cooccurrence(x)
    assert co_interaction_rate(m, np.array([0, 0, 1, 1])) == 1.0  # (0,1) and (2,3) both co-interacted
    assert co_interaction_rate(m, np.array([0, 1, 0, 1])) == 0.5  # (0,2) yes, (1,3) no
    assert co_interaction_rate(m, None) == pytest.approx(3 / 6)


def test_usage_perplexity_and_purity():
    codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    lv = level_usage(codes, [4, 2])
    assert lv[0]["codes_used"] == 2 and lv[0]["usage"] == 0.5 and lv[0]["perplexity"] == pytest.approx(2.0)
    assert category_purity(codes, ["a", "a", "a", "b"]) == 0.75


def test_report_collisions_and_gates():
    codes = np.array([[0, 0], [0, 0], [1, 1]])
    rep = sid_report(codes, [2, 2], np.eye(3), np.eye(3), cooccurrence(sp.csr_matrix(np.ones((2, 3)))), ["x", "y", "x"],
                     gates=np.array([0.2, 0.4, 0.9]), cold=np.array([False, False, True]))
    assert rep["collision_rate"] == pytest.approx(1 / 3)
    assert rep["gates"]["mean_cold_items"] == pytest.approx(0.9)


def test_transition_information_hand_computed():
    from unisid.report.sid_report import transition_information

    codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    # item 0 -> item 2 and item 2 -> item 0 only: the L1 code of the next item is determined
    det = transition_information(codes, np.array([0, 2, 0, 2]), np.array([2, 0, 2, 0]))
    assert det["next_level1_entropy"] == pytest.approx(1.0)
    assert det["next_level1_given_prev_entropy"] == pytest.approx(0.0)
    assert det["mutual_information_level1"] == pytest.approx(1.0)
    assert det["same_level1_rate"] == 0.0 and det["same_level1_random"] == pytest.approx(0.5)
    # every L1 pair equally often: the previous code says nothing
    ind = transition_information(codes, np.array([0, 0, 2, 2]), np.array([1, 2, 0, 3]))
    assert ind["mutual_information_level1"] == pytest.approx(0.0, abs=1e-12)
