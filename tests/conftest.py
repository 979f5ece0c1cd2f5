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
