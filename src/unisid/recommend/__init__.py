"""Recommenders: generative (TIGER) and classical baselines, one registry."""

from unisid.recommend import classical, sequential, tiger  # noqa: F401  (register)
from unisid.recommend.base import BACKBONES, Rankings, RecContext

__all__ = ["BACKBONES", "RecContext", "Rankings"]
