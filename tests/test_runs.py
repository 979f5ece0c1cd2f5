import json

import numpy as np
import pytest

from unisid.config import load_config
from unisid.io import atomic_path, read_json, write_npy
from unisid.runs import Run


def test_run_dir_layout_and_stage_caching(tmp_path):
    cfg = load_config(None, ["seed=3"])
    run = Run(tmp_path / "r", cfg)
    calls = []

    def work():
        calls.append(1)
        write_npy(run.path("a.npy"), np.arange(3))

    assert run.stage("a", {"x": 1}, ["a.npy"], work) is True
    assert run.stage("a", {"x": 1}, ["a.npy"], work) is False  # cached
    assert len(calls) == 1
    assert run.stage("a", {"x": 2}, ["a.npy"], work) is True  # key changed
    # a corrupted/truncated output invalidates the stage
    run.path("a.npy").write_bytes(b"garbage")
    assert run.stage("a", {"x": 2}, ["a.npy"], work) is True
    assert len(calls) == 3
    man = read_json(tmp_path / "r" / "manifest.json")
    assert man["seed"] == 3 and "torch" in man["versions"] and man["stages"]["a"]["seconds"] >= 0
    assert (tmp_path / "r" / "config.yaml").read_text().startswith("name:")


def test_interrupted_stage_leaves_no_output_and_reruns(tmp_path):
    run = Run(tmp_path / "r", load_config(None))

    def crash():
        with atomic_path(run.path("b.json")) as tmp:
            tmp.write_text('{"partial": ')
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run.stage("b", {}, ["b.json"], crash)
    assert not run.path("b.json").exists()
    assert not list(run.root.glob(".b.json*"))  # temp file cleaned
    assert run.stage("b", {}, ["b.json"], lambda: run.path("b.json").write_text(json.dumps({"ok": 1}))) is True


def test_stage_must_write_outputs(tmp_path):
    run = Run(tmp_path / "r", load_config(None))
    with pytest.raises(RuntimeError, match="did not write"):
        run.stage("c", {}, ["c.json"], lambda: None)


def test_downstream_stage_reruns_when_its_input_changes(tmp_path):
    run = Run(tmp_path / "r", load_config(None))
    run.stage("up", {}, ["up.npy"], lambda: write_npy(run.path("up.npy"), np.zeros(2)))
    calls = []

    def down():
        calls.append(1)
        write_npy(run.path("down.npy"), np.load(run.path("up.npy")) + 1)

    run.stage("down", {}, ["down.npy"], down, inputs=["up.npy"])
    run.stage("down", {}, ["down.npy"], down, inputs=["up.npy"])
    assert len(calls) == 1
    write_npy(run.path("up.npy"), np.ones(2))  # upstream re-computed with a new result
    run.stage("down", {}, ["down.npy"], down, inputs=["up.npy"])
    assert len(calls) == 2 and np.load(run.path("down.npy")).tolist() == [2, 2]
