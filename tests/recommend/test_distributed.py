"""The shared training loop under two processes (torch.distributed on CPU, gloo): each process
trains on its own shard of the batches and the gradients are synchronised, so both end with the
same weights; only the main process writes checkpoints, and both load the best one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_shard_batches_and_sync_gradients(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), str(ROOT / "tests" / "recommend" / "ddp_fit.py"), str(tmp_path)]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{i}.json").read_text()) for i in (0, 1))
    assert r0["processes"] == r1["processes"] == 2
    assert r0["shard"] == r1["shard"] == r0["all_batches"] // 2  # equal shares of the epoch
    assert r0["first"] != r1["first"]  # different data on each process...
    assert r0["weights"] == r1["weights"]  # ...yet identical weights: gradients were all-reduced
    assert (tmp_path / "run" / "rec" / "best_model.safetensors").exists()
