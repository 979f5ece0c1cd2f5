import json

import numpy as np

from tests.conftest import FAST, office_path
from unisid.config import load_config
from unisid.pipeline import tokenize
from unisid.runs import Run


def test_tokenize_synthetic_all_fusions_and_quantizers(tmp_path):
    reports = {}
    for fusion in ["text", "cf", "concat"]:
        for q in ["rqvae", "rqkmeans"]:
            cfg = load_config(None, [*FAST, f"fusion.method={fusion}", f"quantizer.method={q}"])
            tok = tokenize(Run(tmp_path / "run", cfg), cfg)  # same dir: embeddings are reused
            assert tok.report["collision_rate"] == 0.0
            assert len({tuple(r) for r in tok.codes}) == tok.dataset.n_items
            reports[(fusion, q)] = tok.report
    sids = json.loads((tmp_path / "run" / "sids.json").read_text())
    assert len(sids) == 150 and all(v[0].startswith("<a_") for v in sids.values())
    assert (tmp_path / "run" / "sid_report.png").stat().st_size > 1000
    # text SIDs group text-alike items, CF SIDs group co-interacted items
    t, c = reports[("text", "rqkmeans")], reports[("cf", "rqkmeans")]
    assert t["semantic_consistency"]["level1"] > c["semantic_consistency"]["level1"]
    assert c["collaborative_consistency"]["level1"] > t["collaborative_consistency"]["level1"]


def test_rerun_is_cached_and_resumes(tmp_path):
    cfg = load_config(None, FAST)
    run = Run(tmp_path / "r", cfg)
    tokenize(run, cfg)
    first = np.load(tmp_path / "r" / "quantize" / "codes.npy")
    (tmp_path / "r" / "sid_report.json").unlink()  # as if interrupted before the last stage
    run2 = Run(tmp_path / "r", cfg)
    tokenize(run2, cfg)
    st = run2.manifest["stages"]
    assert st["quantize"]["skipped"] and st["cf_embed"]["skipped"] and not st["sid_report"]["skipped"]
    np.testing.assert_array_equal(first, np.load(tmp_path / "r" / "quantize" / "codes.npy"))


def test_import_sids_with_collisions(cli, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  path: synthetic\n")
    ids = [str(i) for i in range(150)]
    bad = {i: [f"<a_{int(i) % 7}>", f"<b_{int(i) % 3}>"] for i in ids}  # 21 distinct SIDs for 150 items
    (tmp_path / "ext.json").write_text(json.dumps(bad))
    code, out, err = cli("tokenize", str(cfg), "--out", str(tmp_path / "r"), *sum([["--set", s] for s in FAST], []),
                         "--set", f"sids.import={tmp_path / 'ext.json'}")
    assert code == 0, err
    rep = json.loads((tmp_path / "r" / "sid_report.json").read_text())
    assert rep["collision_rate"] == rep["collision_rate_before"] == 1 - 21 / 150
    assert rep["fusion"] == "import"


def test_tokenize_unknown_key(cli, tmp_path):
    code, _, err = cli("tokenize", "configs/quickstart.yaml", "--set", "quantizer.codebooks=[4]",
                       "--out", str(tmp_path))
    assert code == 2 and "unknown config key 'quantizer.codebooks'" in err


def test_office_text_rqkmeans_zero_collisions(tmp_path):
    cfg = load_config("configs/office-text.yaml",
                      [f"data.path={office_path()}", "quantizer.method=rqkmeans", "embed.cf.epochs=5",
                       "quantizer.kmeans_iters=10"])
    tok = tokenize(Run(tmp_path / "o", cfg), cfg)
    assert tok.codes.shape[0] == 2420 and tok.report["collision_rate"] == 0.0


def test_run_tiger_end_to_end_and_compare(cli, tmp_path):
    from tests.recommend.test_tiger import TINY

    sets = [*FAST, *TINY, "recommender.tiger.epochs=2", "recommender.tiger.beam=10", "recommender.topk=10"]
    args = sum([["--set", s] for s in sets], [])
    code, out, err = cli("run", "configs/quickstart.yaml", *args, "--out", str(tmp_path / "a"))
    assert code == 0, err
    m = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert set(m["test"]) >= {"recall@5", "recall@10", "ndcg@5", "ndcg@10"}
    page = (tmp_path / "a" / "report.html").read_text()
    assert "data:image/png;base64" in page and "SID prefix tree" in page and "ndcg@10" in page
    assert "by target-item popularity" in page and page.count("<td>0-5</td>") == 1
    code, _, _ = cli("run", "configs/quickstart.yaml", *args, "--set", "seed=7", "--out", str(tmp_path / "b"))
    assert code == 0
    code, out, _ = cli("compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 0 and "ndcg@10" in out
    (tmp_path / "a" / "report.html").unlink()
    code, out, _ = cli("report", str(tmp_path / "a"))
    assert code == 0 and (tmp_path / "a" / "report.html").exists()
