"""Helpers shared by the benchmark scripts: machine facts, command line, result files."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = ROOT.parent / "shared" / "data"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, no GPU, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def header(title: str) -> str:
    cmd = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"# {title}\n\n- command: `{cmd}`\n- machine: {machine()}\n- date: {now}\n\n"


def table(rows: list[dict], cols: list[str], fmt: dict | None = None) -> str:
    fmt = fmt or {}
    out = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(fmt.get(c, "{:.4f}").format(v) if isinstance(v, float) else str(v))
        out += "| " + " | ".join(cells) + " |\n"
    return out


def write_results(name: str, md: str, summary: dict, note: str = "") -> None:
    """benchmarks/results/<name>.md (+ optional notes) and <name>.json; prints the markdown."""
    import json

    if note:
        md += f"\nNotes: {note}\n"
    (RESULTS / f"{name}.md").write_text(md)
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(md)
