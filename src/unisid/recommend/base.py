"""Recommender interface and registry (``recommender.backbone``).

A backbone trains on the train part of the leave-one-out split (plus whatever the tokenizer
produced) and returns, for ``valid`` and ``test``, a ranked list of item ids per user. One
evaluator scores every backbone the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from unisid.config import Config
from unisid.data import Dataset, LeaveOneOut
from unisid.registry import Registry
from unisid.runs import Run


@dataclass
class RecContext:
    cfg: Config
    run: Run
    dataset: Dataset
    split: LeaveOneOut
    codes: np.ndarray | None = None  # (n_items, L) SIDs, for generative backbones
    codebook_sizes: list[int] | None = None
    unified: np.ndarray | None = None  # (n_items, d) pre-quantization embedding


@dataclass
class Rankings:
    valid: np.ndarray  # (n_users, K) item ids, -1 padded
    test: np.ndarray
    history: dict  # per-epoch training log (loss, valid metrics...)
    eval_users: np.ndarray | None = None
    """Users whose rows were ranked (a documented evaluation cap); None = every user."""


class BackboneFn(Protocol):
    def __call__(self, ctx: RecContext, on_epoch_end: Callable[[int], None] | None = None) -> Rankings: ...


@dataclass
class Backbone:
    fn: BackboneFn
    needs_sids: bool
    """Generative backbones need the tokenizer's SIDs; classical ones skip tokenization."""


BACKBONES: Registry[Backbone] = Registry("recommender backbone")


def register_backbone(name: str, needs_sids: bool) -> Callable[[BackboneFn], BackboneFn]:
    def deco(fn: BackboneFn) -> BackboneFn:
        BACKBONES.register(name)(Backbone(fn, needs_sids))
        return fn

    return deco
