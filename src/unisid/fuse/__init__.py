"""Fusion of text and collaborative item views into the unified embedding."""

from unisid.fuse import simple, unger, uqf  # noqa: F401  (register)
from unisid.fuse.base import FUSERS, FusionInputs, FusionOutput

__all__ = ["FUSERS", "FusionInputs", "FusionOutput"]
