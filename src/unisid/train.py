"""Shared training plumbing: seeding, the ``accelerate`` wrapper, early stopping.

Every training loop in unisid goes through ``Trainer.prepare`` / ``Trainer.backward`` so that a
multi-GPU or multi-node launch (``accelerate launch``) needs no code change; on this CPU machine
it is a single process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    """Thin wrapper over one process-wide ``accelerate.Accelerator``.

    Mixed precision is applied per call site with ``autocast()`` (bf16 where the device supports
    it), since accelerate's state is a process singleton and stages differ in what they want.
    """

    def __init__(self, mixed_precision: str = "no") -> None:
        from accelerate import Accelerator

        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())
        self.bf16 = mixed_precision == "bf16" and (torch.cuda.is_available() or _cpu_bf16_ok())

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def is_main(self) -> bool:
        return self.accelerator.is_main_process

    @property
    def num_processes(self) -> int:
        return self.accelerator.num_processes

    @property
    def process_index(self) -> int:
        return self.accelerator.process_index

    def prepare(self, *objs):
        return self.accelerator.prepare(*objs)

    def backward(self, loss: torch.Tensor) -> None:
        self.accelerator.backward(loss)

    def unwrap(self, model: torch.nn.Module) -> torch.nn.Module:
        return self.accelerator.unwrap_model(model)

    def autocast(self):
        """bf16 autocast when enabled and supported, else a no-op context."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)


def _cpu_bf16_ok() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


@dataclass
class EarlyStopper:
    """Tracks the best value of a metric (higher is better) and says when patience ran out."""

    patience: int
    best: float = -float("inf")
    best_step: int = -1
    bad: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)

    def update(self, step: int, value: float) -> bool:
        """Record ``value``; returns True when it is a new best."""
        self.history.append((step, value))
        if value > self.best:
            self.best, self.best_step, self.bad = value, step, 0
            return True
        self.bad += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.bad > self.patience
