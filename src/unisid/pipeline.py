"""Stage graph of a run: data -> text/CF embeddings -> fusion -> quantization -> SID report.

Each stage writes its artifacts into the run directory and is skipped when they are complete
and its inputs (config section + upstream stage keys) are unchanged; see ``unisid.runs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unisid.config import Config
from unisid.data import Dataset, LeaveOneOut, load_dataset
from unisid.io import read_json, read_npy, read_npz, sha256_file, write_json, write_npy, write_npz
from unisid.runs import Run


@dataclass
class Tokenized:
    """What downstream stages (recommenders, reports) need from tokenization."""

    dataset: Dataset
    split: LeaveOneOut
    codes: np.ndarray  # (n_items, L) final collision-free SIDs
    codebook_sizes: list[int]
    unified: np.ndarray | None  # (n_items, d) pre-quantization embedding (None for imported SIDs)
    report: dict
    key: dict  # stage key of the SIDs: changes whenever they would


def prepare_data(run: Run, cfg: Config) -> tuple[Dataset, LeaveOneOut]:
    ds = load_dataset(cfg.data.path, cfg.data)
    run.set_data_hash(ds.content_hash())
    return ds, LeaveOneOut.from_dataset(ds, cfg.data.max_history)


def tokenize(run: Run, cfg: Config) -> Tokenized:
    from unisid.embed.lightgcn import train_lightgcn
    from unisid.embed.text import cache_key, encode_items
    from unisid.fuse import FUSERS, FusionInputs
    from unisid.quantize import QUANTIZERS, read_sids, resolve_collisions, write_sids
    from unisid.report.plots import plot_sid_report
    from unisid.report.sid_report import sid_report

    ds, split = prepare_data(run, cfg)
    data_hash = run.manifest["data_hash"]
    tcfg = cfg.embed.text

    # --- text embeddings ---------------------------------------------------------------------
    text_key = {"text": cache_key(ds.items, tcfg)}
    text_out = ["embed/text.npy"] + (["embed/text_tokens.npy", "embed/text_token_mask.npy"] if tcfg.token_states else [])

    def do_text() -> None:
        emb = encode_items(ds.items, tcfg)
        write_npy(run.path("embed/text.npy"), emb.pooled)
        if tcfg.token_states:
            write_npy(run.path("embed/text_tokens.npy"), emb.tokens)
            write_npy(run.path("embed/text_token_mask.npy"), emb.token_mask)

    run.stage("text_embed", text_key, text_out, do_text)

    # --- collaborative embeddings ------------------------------------------------------------
    cf_key = {"cf": cfg.embed.cf.model_dump(), "data": data_hash, "seed": cfg.seed}
    cf_out = ["embed/cf.npy", "embed/cf_layers.npy", "embed/cf_users.npy", "embed/cf_cold.npy", "embed/cf_log.json"]

    def do_cf() -> None:
        r = train_lightgcn(split, cfg.embed.cf, cfg.seed)
        write_npy(run.path("embed/cf.npy"), r.item_emb)
        write_npy(run.path("embed/cf_layers.npy"), r.item_layers)
        write_npy(run.path("embed/cf_users.npy"), r.user_emb)
        write_npy(run.path("embed/cf_cold.npy"), r.cold)
        write_json(run.path("embed/cf_log.json"), r.log)

    run.stage("cf_embed", cf_key, cf_out, do_cf)
    text = read_npy(run.path("embed/text.npy"))
    cf = read_npy(run.path("embed/cf.npy"))
    cold = read_npy(run.path("embed/cf_cold.npy"))

    if cfg.sids.import_path:
        # --- adopt an external SID file ------------------------------------------------------
        imp = Path(cfg.sids.import_path)
        sid_key = {"import": str(imp), "sha": sha256_file(imp) if imp.exists() else None, "data": data_hash}

        def do_import() -> None:
            codes = read_sids(imp, ds.item_ids)
            write_npy(run.path("quantize/codes.npy"), codes)
            write_npy(run.path("quantize/codes_raw.npy"), codes)
            write_sids(run.path("sids.json"), ds.item_ids, codes)
            sizes = [int(codes[:, lv].max()) + 1 for lv in range(codes.shape[1])]
            write_json(run.path("quantize/log.json"), {"imported_from": str(imp), "codebook_sizes": sizes})

        run.stage("import_sids", sid_key, ["quantize/codes.npy", "quantize/codes_raw.npy", "sids.json",
                                           "quantize/log.json"], do_import, inputs=cf_out)
        unified = None
        extras: dict[str, np.ndarray] = {}
    else:
        # --- fusion --------------------------------------------------------------------------
        fuser = FUSERS.get(cfg.fusion.method)
        fuse_key = {"fusion": cfg.fusion.model_dump(), "text": text_key, "cf": cf_key, "seed": cfg.seed}

        def do_fuse() -> None:
            inputs = FusionInputs(
                text=text, cf=cf, cf_layers=read_npy(run.path("embed/cf_layers.npy")), cf_cold=cold, split=split,
                text_tokens=read_npy(run.path("embed/text_tokens.npy")) if tcfg.token_states else None,
                text_token_mask=read_npy(run.path("embed/text_token_mask.npy")) if tcfg.token_states else None,
                seed=cfg.seed,
            )
            out = fuser(inputs, cfg.fusion)
            write_npy(run.path("fuse/unified.npy"), out.embedding.astype(np.float32))
            write_npz(run.path("fuse/extras.npz"), **out.extras)
            write_json(run.path("fuse/log.json"), out.log)

        run.stage("fuse", fuse_key, ["fuse/unified.npy", "fuse/extras.npz", "fuse/log.json"], do_fuse,
                  inputs=text_out + cf_out)
        unified = read_npy(run.path("fuse/unified.npy"))
        extras = read_npz(run.path("fuse/extras.npz"))

        # --- quantization + collisions -------------------------------------------------------
        qcfg = cfg.quantizer
        sid_key = {"quantizer": qcfg.model_dump(), "fuse": fuse_key}

        def do_quantize() -> None:
            from unisid.io import write_safetensors

            res = QUANTIZERS.get(qcfg.method)(unified, qcfg, cfg.seed)
            codes, info = resolve_collisions(res.codes, qcfg.collision, res.last_distances,
                                             qcfg.sinkhorn_last_level, qcfg.sinkhorn_epsilon, qcfg.sinkhorn_iters)
            sizes = list(res.codebook_sizes) + ([int(codes[:, -1].max()) + 1] if codes.shape[1] > len(res.codebook_sizes) else [])
            write_npy(run.path("quantize/codes_raw.npy"), res.codes)
            write_npy(run.path("quantize/codes.npy"), codes)
            write_safetensors(run.path("quantize/quantizer.safetensors"), res.state)
            write_json(run.path("quantize/log.json"), {"collisions": info, "codebook_sizes": sizes, **res.log})
            write_sids(run.path("sids.json"), ds.item_ids, codes)

        run.stage("quantize", sid_key, ["quantize/codes_raw.npy", "quantize/codes.npy",
                                        "quantize/quantizer.safetensors", "quantize/log.json", "sids.json"],
                  do_quantize, inputs=["fuse/unified.npy"])

    codes = read_npy(run.path("quantize/codes.npy"))
    qlog = read_json(run.path("quantize/log.json"))
    sizes = qlog["codebook_sizes"]

    # --- SID report --------------------------------------------------------------------------
    def do_report() -> None:
        rep = sid_report(
            codes, sizes, text, cf, split.item_cooccurrence(), ds.top_categories(),
            codes_before=read_npy(run.path("quantize/codes_raw.npy")),
            collision_info=qlog.get("collisions"), gates=extras.get("gates"), cold=cold,
            transitions=split.train_transitions(),
        )
        rep["fusion"] = "import" if cfg.sids.import_path else cfg.fusion.method
        rep["quantizer"] = None if cfg.sids.import_path else cfg.quantizer.method
        write_json(run.path("sid_report.json"), rep)
        plot_sid_report(codes, rep, run.path("sid_report.png"), title=f"{ds.name}: {rep['fusion']} / {rep['quantizer']}")

    report_inputs = ["quantize/codes.npy", "quantize/codes_raw.npy", "quantize/log.json", "embed/text.npy", "embed/cf.npy"]
    if not cfg.sids.import_path:
        report_inputs.append("fuse/extras.npz")
    run.stage("sid_report", {"sids": sid_key, "v": 2}, ["sid_report.json", "sid_report.png"], do_report,
              inputs=report_inputs)
    return Tokenized(ds, split, codes, sizes, unified, read_json(run.path("sid_report.json")), sid_key)


def run_experiment(run: Run, cfg: Config) -> dict:
    """data -> (tokenize) -> recommender -> evaluation -> report. Returns metrics.json's content."""
    from unisid.evaluate import evaluate_rankings, save_per_user
    from unisid.recommend import BACKBONES, RecContext

    backbone = BACKBONES.get(cfg.recommender.backbone)
    if backbone.needs_sids:
        tok = tokenize(run, cfg)
        ds, split = tok.dataset, tok.split
        ctx = RecContext(cfg, run, ds, split, tok.codes, tok.codebook_sizes, tok.unified)
        rec_inputs = ["quantize/codes.npy"] + (["fuse/unified.npy"] if tok.unified is not None else [])
        sid_key = tok.key
    else:
        ds, split = prepare_data(run, cfg)
        ctx = RecContext(cfg, run, ds, split)
        rec_inputs, sid_key = [], None
    rec_cfg = cfg.recommender.model_dump()
    if cfg.recommender.backbone != "lcrec":
        rec_cfg.pop("lcrec")  # added with LC-Rec: other backbones' keys (and finished runs) stay as they were
    rec_key = {"recommender": rec_cfg, "sids": sid_key, "data": run.manifest["data_hash"],
               "seed": cfg.seed, "max_history": cfg.data.max_history}

    def do_recommend() -> None:
        r = backbone.fn(ctx)
        write_npy(run.path("rankings/valid.npy"), r.valid)
        write_npy(run.path("rankings/test.npy"), r.test)
        write_json(run.path("rec/history.json"), r.history)
        if r.eval_users is not None:
            write_npy(run.path("rankings/eval_users.npy"), np.asarray(r.eval_users, dtype=np.int64))

    run.stage("recommend", rec_key, ["rankings/valid.npy", "rankings/test.npy", "rec/history.json"], do_recommend,
              inputs=rec_inputs)

    def do_evaluate() -> None:
        metrics: dict = {}
        sub = run.path("rankings/eval_users.npy")
        users = read_npy(sub) if sub.exists() else np.arange(ds.n_users)
        for stage in ("valid", "test"):
            ranked = read_npy(run.path(f"rankings/{stage}.npy"))[users]
            mean, per_user = evaluate_rankings([r[r >= 0] for r in ranked], split.targets(stage)[users], ds.n_items)
            metrics[stage] = mean
            save_per_user(run.root, stage, [ds.user_ids[u] for u in users], per_user)
        if len(users) < ds.n_users:
            metrics["evaluated_users"] = int(len(users))
        write_json(run.path("metrics.json"), metrics)

    ev_inputs = ["rankings/valid.npy", "rankings/test.npy"]
    if run.path("rankings/eval_users.npy").exists():
        ev_inputs.append("rankings/eval_users.npy")
    run.stage("evaluate", {"v": 1}, ["metrics.json", "per_user/valid.npz", "per_user/test.npz"], do_evaluate,
              inputs=ev_inputs)

    from unisid.report.html import write_report

    rep_inputs = ["metrics.json", "rec/history.json"] + (["sids.json", "sid_report.json"] if backbone.needs_sids else [])
    run.stage("report", {"v": 2}, ["report.html"], lambda: write_report(run.root, ds), inputs=rep_inputs)
    return read_json(run.path("metrics.json"))
