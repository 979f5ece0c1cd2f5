"""Training checkpoints as safetensors + JSON (no pickle): model, optimizer, RNG, loop state.

``save`` writes tensors first and the JSON state last (the commit point), each atomically, so an
interruption at any moment leaves either the previous checkpoint or the new one, never a mix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from unisid.io import read_json, read_model, read_safetensors, write_json, write_model, write_safetensors


def _optim_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{pid}.{k}"] = v
            else:
                scalars[f"{pid}.{k}"] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _load_optim(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, v in list(tensors.items()) + list(meta["scalars"].items()):
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_model(folder / "last_model.safetensors", model)
    tensors, meta = _optim_tensors(opt)
    write_safetensors(folder / "last_optim.safetensors", tensors)
    write_safetensors(folder / "last_rng.safetensors", {"torch": torch.get_rng_state()})
    write_json(folder / "last_state.json", {**state, "optim_meta": meta})


def load(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, key: str) -> dict | None:
    """Restore the last checkpoint if it belongs to ``key`` (same config and inputs); returns the
    loop state, or None to start fresh."""
    path = folder / "last_state.json"
    if not path.exists():
        return None
    state = read_json(path)
    if state.get("key") != key:
        return None
    read_model(folder / "last_model.safetensors", model)
    _load_optim(opt, read_safetensors(folder / "last_optim.safetensors"), state.pop("optim_meta"))
    torch.set_rng_state(read_safetensors(folder / "last_rng.safetensors")["torch"])
    return state


def save_best(folder: Path, model: torch.nn.Module) -> None:
    write_model(folder / "best_model.safetensors", model)


def load_best(folder: Path, model: torch.nn.Module) -> bool:
    p = folder / "best_model.safetensors"
    if not p.exists():
        return False
    read_model(p, model)
    return True
