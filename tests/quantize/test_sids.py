import json

import numpy as np
import pytest

from unisid.errors import UnisidError
from unisid.quantize import read_sids, write_sids


def test_roundtrip_lcrec_format(tmp_path):
    codes = np.array([[12, 200, 7], [0, 1, 2]])
    write_sids(tmp_path / "s.json", ["A", "B"], codes)
    raw = json.loads((tmp_path / "s.json").read_text())
    assert raw == {"A": ["<a_12>", "<b_200>", "<c_7>"], "B": ["<a_0>", "<b_1>", "<c_2>"]}
    np.testing.assert_array_equal(read_sids(tmp_path / "s.json", ["B", "A"]), codes[::-1])


def test_errors(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"A": ["<a_1>", "<c_2>"]}))
    with pytest.raises(UnisidError, match="expected <b_N>"):
        read_sids(tmp_path / "s.json", ["A"])
    with pytest.raises(UnisidError, match="no SID for 1 dataset item"):
        read_sids(tmp_path / "s.json", ["A", "Z"])
