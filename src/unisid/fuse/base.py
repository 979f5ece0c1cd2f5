"""Fusion interface: per-item text and collaborative views -> one unified embedding to quantize.

A fusion method is a function registered in ``FUSERS`` under its config name
(``fusion.method``). It receives ``FusionInputs`` and returns ``FusionOutput``; extra per-item
arrays it returns (e.g. UQF gate values) are saved beside the embedding and summarised in the
SID report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from unisid.config import FusionConfig
from unisid.data.split import LeaveOneOut
from unisid.registry import Registry


@dataclass
class FusionInputs:
    text: np.ndarray  # (n_items, d_text) pooled text embedding
    cf: np.ndarray  # (n_items, d_cf) LightGCN item embedding
    cf_layers: np.ndarray  # (n_items, L+1, d_cf) LightGCN per-layer outputs
    cf_cold: np.ndarray  # (n_items,) bool, no train interaction
    split: LeaveOneOut
    text_tokens: np.ndarray | None = None  # (n_items, M, d_text) fp16, when embed.text.token_states
    text_token_mask: np.ndarray | None = None  # (n_items, M) bool
    seed: int = 0


@dataclass
class FusionOutput:
    embedding: np.ndarray  # (n_items, d) float32
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    log: dict = field(default_factory=dict)


class Fuser(Protocol):
    def __call__(self, inputs: FusionInputs, cfg: FusionConfig) -> FusionOutput: ...


FUSERS: Registry = Registry("fusion method")


def l2norm(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
