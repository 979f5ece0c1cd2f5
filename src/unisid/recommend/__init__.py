"""Recommenders: generative (TIGER, LC-Rec) and classical baselines, one registry."""

from unisid.recommend import classical, lcrec, sequential, tiger  # noqa: F401  (register)
from unisid.recommend.base import BACKBONES, Rankings, RecContext

__all__ = ["BACKBONES", "RecContext", "Rankings"]
