"""Run directories: resolved config, manifest, and stage caching with atomic artifacts.

Layout of a run directory::

    config.yaml        resolved config (after overrides)
    manifest.json      versions, data hash, seed, per-stage timings
    stages/<name>.json completion marker: stage key + sha256 of every output
    <artifacts>        written atomically by the stages

A stage is skipped when its marker exists, its key (hash of the config it depends on and of its
inputs) is unchanged and every output still exists with the recorded checksum. A run that was
interrupted therefore resumes at the first incomplete stage and never trusts a partial file.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from unisid import __version__
from unisid.config import Config
from unisid.io import read_json, sha256_file, stable_hash, write_json, write_text

console = Console(stderr=True)

_PACKAGES = [
    "torch", "numpy", "scipy", "pandas", "transformers", "sentence-transformers", "accelerate",
    "peft", "torch-geometric", "faiss-cpu", "safetensors", "pydantic",
]


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "unisid": __version__, "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def default_run_dir(cfg: Config, root: str | Path = "runs") -> Path:
    return Path(root) / f"{cfg.name}-{stable_hash(cfg.dump(), 8)}"


class Run:
    def __init__(self, root: str | Path, cfg: Config) -> None:
        self.root = Path(root)
        self.cfg = cfg
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "stages").mkdir(exist_ok=True)
        write_text(self.root / "config.yaml", yaml.safe_dump(cfg.dump(), sort_keys=False))
        mpath = self.root / "manifest.json"
        self.manifest: dict[str, Any] = read_json(mpath) if mpath.exists() else {}
        self.manifest.update(
            {
                "versions": package_versions(),
                "seed": cfg.seed,
                "config_hash": stable_hash(cfg.dump()),
                "updated": _now(),
            }
        )
        self.manifest.setdefault("created", _now())
        self.manifest.setdefault("stages", {})
        self._save_manifest()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def set_data_hash(self, data_hash: str) -> None:
        self.manifest["data_hash"] = data_hash
        self._save_manifest()

    def _save_manifest(self) -> None:
        write_json(self.root / "manifest.json", self.manifest)

    def _marker(self, name: str) -> Path:
        return self.root / "stages" / f"{name}.json"

    def _full_key(self, key: Any, inputs: list[str]) -> str:
        """Config key plus the checksum of every input artifact: a stage reruns when what it
        reads changed, even if its own config did not."""
        sums = {rel: sha256_file(self.path(rel)) if self.path(rel).exists() else None for rel in inputs}
        return stable_hash({"key": key, "inputs": sums})

    def is_done(self, name: str, key: Any, outputs: list[str], inputs: list[str] = ()) -> bool:
        marker = self._marker(name)
        if not marker.exists():
            return False
        try:
            info = read_json(marker)
        except Exception:
            return False
        if info.get("key") != self._full_key(key, list(inputs)):
            return False
        sums = info.get("outputs", {})
        for rel in outputs:
            p = self.path(rel)
            if rel not in sums or not p.exists() or sha256_file(p) != sums[rel]:
                return False
        return True

    def stage(self, name: str, key: Any, outputs: list[str], fn: Callable[[], Any], inputs: list[str] = ()) -> bool:
        """Run ``fn`` unless the stage is complete; returns True when it ran. ``inputs`` are run-dir
        artifacts the stage reads (their checksums are part of its key)."""
        if self.is_done(name, key, outputs, inputs):
            console.print(f"[dim]stage {name}: cached[/dim]")
            self.manifest["stages"].setdefault(name, {})["skipped"] = True
            self._save_manifest()
            return False
        self._marker(name).unlink(missing_ok=True)
        console.print(f"[bold]stage {name}[/bold] ...")
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        missing = [rel for rel in outputs if not self.path(rel).exists()]
        if missing:
            raise RuntimeError(f"stage {name} did not write {missing}")
        sums = {rel: sha256_file(self.path(rel)) for rel in outputs}
        write_json(self._marker(name), {"key": self._full_key(key, list(inputs)), "outputs": sums, "finished": _now()})
        self.manifest["stages"][name] = {"seconds": round(seconds, 3), "skipped": False, "finished": _now()}
        self._save_manifest()
        console.print(f"stage {name}: done in {seconds:.1f}s")
        return True


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
