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


def _write_weights(path: Path, model: torch.nn.Module) -> None:
    """All weights, or only the trainable ones when part of the model is frozen (LoRA on an LLM:
    the frozen base is reloaded from its source, not copied into every checkpoint)."""
    params = list(model.named_parameters())
    if all(p.requires_grad for _, p in params):
        write_model(path, model)
    else:
        write_safetensors(path, {n: p.detach().contiguous() for n, p in params if p.requires_grad})


def _read_weights(path: Path, model: torch.nn.Module) -> None:
    if all(p.requires_grad for p in model.parameters()):
        read_model(path, model)
        return
    tensors = read_safetensors(path)
    missing = {n for n, p in model.named_parameters() if p.requires_grad} - set(tensors)
    unexpected = model.load_state_dict(tensors, strict=False).unexpected_keys
    if missing or unexpected:
        raise RuntimeError(f"checkpoint {path} does not match the model (missing {sorted(missing)[:3]}, "
                           f"unexpected {unexpected[:3]})")


def save(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_weights(folder / "last_model.safetensors", model)
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
    _read_weights(folder / "last_model.safetensors", model)
    _load_optim(opt, read_safetensors(folder / "last_optim.safetensors"), state.pop("optim_meta"))
    torch.set_rng_state(read_safetensors(folder / "last_rng.safetensors")["torch"])
    return state


def save_best(folder: Path, model: torch.nn.Module) -> None:
    _write_weights(folder / "best_model.safetensors", model)


def load_best(folder: Path, model: torch.nn.Module) -> bool:
    p = folder / "best_model.safetensors"
    if not p.exists():
        return False
    _read_weights(p, model)
    return True
