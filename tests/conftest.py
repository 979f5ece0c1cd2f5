from __future__ import annotations

from pathlib import Path

import pytest

from unisid.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def office_path() -> Path:
    p = SHARED / "Office"
    if not (p / "Office.inter.json").exists():
        pytest.skip("../shared/data/Office not available")
    return p


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns (exit_code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


FAST = [
    "data.synthetic.n_users=300", "data.synthetic.n_items=150", "embed.cf.epochs=10", "embed.cf.eval_every=5",
    "quantizer.codebook_sizes=[8,8,8]", "quantizer.epochs=30", "quantizer.hidden_dims=[64,32]",
    "quantizer.code_dim=16",
]


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    """Text-embedding cache shared by the session's tests, never the user's home."""
    monkeypatch.setenv("UNISID_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
