"""Quantizers (RQ-VAE, RQ-KMeans) turning unified embeddings into collision-free SIDs."""

from unisid.quantize import rqkmeans, rqvae  # noqa: F401  (register)
from unisid.quantize.base import QUANTIZERS, QuantizeResult
from unisid.quantize.collisions import collision_rate, resolve_collisions
from unisid.quantize.sids import read_sids, write_sids

__all__ = ["QUANTIZERS", "QuantizeResult", "collision_rate", "read_sids", "resolve_collisions", "write_sids"]
