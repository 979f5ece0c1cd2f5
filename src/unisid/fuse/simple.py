"""Single-modality and concatenation fusions: the baselines UQF is compared against."""

from __future__ import annotations

import numpy as np

from unisid.config import FusionConfig
from unisid.fuse.base import FUSERS, FusionInputs, FusionOutput, l2norm


def _prep(x: np.ndarray, cfg: FusionConfig) -> np.ndarray:
    return l2norm(x).astype(np.float32) if cfg.normalize else x.astype(np.float32)


@FUSERS.register("text")
def text_only(inputs: FusionInputs, cfg: FusionConfig) -> FusionOutput:
    return FusionOutput(_prep(inputs.text, cfg))


@FUSERS.register("cf")
def cf_only(inputs: FusionInputs, cfg: FusionConfig) -> FusionOutput:
    return FusionOutput(_prep(inputs.cf, cfg))


@FUSERS.register("concat")
def concat(inputs: FusionInputs, cfg: FusionConfig) -> FusionOutput:
    return FusionOutput(np.concatenate([_prep(inputs.text, cfg), cfg.cf_weight * _prep(inputs.cf, cfg)], 1))

