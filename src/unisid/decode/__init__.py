"""Trie-constrained decoding shared by the generative recommenders (TIGER, LC-Rec)."""

from unisid.decode.beam import constrained_beam_search
from unisid.decode.trie import SIDTrie

__all__ = ["SIDTrie", "constrained_beam_search"]
