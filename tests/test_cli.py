import json

import numpy as np

from tests.conftest import office_path
from unisid.evaluate import save_per_user


def test_help(cli):
    code, out, _ = cli("--help")
    assert code == 0 and "data" in out and "compare" in out
    code, out, _ = cli("data", "stats", "--help")
    assert code == 0 and "Users, items, interactions" in out


def test_stats_office(cli):
    code, out, _ = cli("data", "stats", str(office_path()))
    assert code == 0
    assert "4,905" in out and "2,420" in out and "53,258" in out


def test_stats_json_synthetic(cli):
    code, out, _ = cli("data", "stats", "synthetic:n_items=100,n_users=150,seed=2", "--json")
    assert code == 0
    assert json.loads(out)["items"] == 100


def test_missing_path_one_line(cli):
    code, out, err = cli("data", "stats", "/no/such/dir")
    assert code == 2
    assert err.strip() == "error: path not found: /no/such/dir"
    assert "Traceback" not in err


def test_malformed_json_one_line(cli, tmp_path):
    (tmp_path / "X.inter.json").write_text('{"u": [1, 2')
    (tmp_path / "X.item.json").write_text("{}")
    code, _, err = cli("data", "stats", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "X.inter.json at line 1" in err


def test_missing_item_one_line(cli, tmp_path):
    (tmp_path / "X.inter.json").write_text(json.dumps({"u": [1, 2, 3]}))
    (tmp_path / "X.item.json").write_text(json.dumps({"1": {"title": "a"}, "2": {"title": "b"}}))
    code, _, err = cli("data", "stats", str(tmp_path))
    assert code == 2 and "item '3'" in err and len(err.strip().splitlines()) == 1


def test_short_users_dropped_with_warning(cli, tmp_path):
    items = {str(i): {"title": f"t{i}"} for i in range(5)}
    (tmp_path / "X.inter.json").write_text(json.dumps({"u1": [0, 1, 2], "u2": [3, 4], "u3": [4]}))
    (tmp_path / "X.item.json").write_text(json.dumps(items))
    code, out, err = cli("data", "stats", str(tmp_path), "--json")
    assert code == 0
    assert json.loads(out)["users"] == 1
    assert "dropped 2 user(s) with fewer than 3 interactions" in err


def test_unknown_synthetic_option(cli):
    code, _, err = cli("data", "stats", "synthetic:n_itemz=5")
    assert code == 2 and "unknown synthetic option 'n_itemz'" in err


def test_convert_to_lcrec(cli, tmp_path):
    out = tmp_path / "out"
    code, _, _ = cli("data", "convert", "synthetic:n_items=80,n_users=100", "--to", "lcrec", str(out), "--name", "Syn")
    assert code == 0
    assert (out / "Syn.inter.json").exists() and (out / "Syn.item.json").exists()
    code, out_txt, _ = cli("data", "stats", str(out), "--json")
    assert json.loads(out_txt)["items"] == 80


def test_compare(cli, tmp_path):
    rng = np.random.default_rng(0)
    users = [str(u) for u in range(300)]
    base = (rng.random(300) < 0.2).astype(float)
    better = np.maximum(base, (rng.random(300) < 0.3).astype(float))
    save_per_user(tmp_path / "a", "test", users, {"recall@10": base, "ndcg@10": base * 0.5})
    save_per_user(tmp_path / "b", "test", users, {"recall@10": better, "ndcg@10": better * 0.5})
    code, out, _ = cli("compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 0
    assert "recall@10" in out and "t-test p" in out


def test_compare_not_a_run(cli, tmp_path):
    code, _, err = cli("compare", str(tmp_path), str(tmp_path))
    assert code == 2 and "no per-user metrics" in err
