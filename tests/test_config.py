import pytest

from unisid.config import load_config
from unisid.errors import UnisidError


def test_defaults_and_overrides(tmp_path):
    p = tmp_path / "exp.yaml"
    p.write_text("data:\n  path: synthetic\nquantizer:\n  method: rqvae\n")
    cfg = load_config(p, ["quantizer.method=rqkmeans", "quantizer.codebook_sizes=[16, 16]", "seed=7"])
    assert cfg.name == "exp"
    assert cfg.quantizer.method == "rqkmeans"
    assert cfg.quantizer.codebook_sizes == [16, 16]
    assert cfg.seed == 7


def test_import_alias():
    cfg = load_config(None, ["sids.import=/x/y.index.json"])
    assert cfg.sids.import_path == "/x/y.index.json"
    assert cfg.dump()["sids"]["import"] == "/x/y.index.json"


def test_unknown_key_in_file_names_the_key(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("quantizer:\n  methd: rqvae\n")
    with pytest.raises(UnisidError, match="unknown config key 'quantizer.methd'"):
        load_config(p)


def test_unknown_override_names_the_key():
    with pytest.raises(UnisidError, match="unknown config key 'fusion.wieght'"):
        load_config(None, ["fusion.wieght=2"])


def test_bad_value_type():
    with pytest.raises(UnisidError, match="config key 'quantizer.epochs'"):
        load_config(None, ["quantizer.epochs=lots"])


def test_override_syntax():
    with pytest.raises(UnisidError, match="key.path=value"):
        load_config(None, ["quantizer.epochs"])
