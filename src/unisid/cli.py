"""The ``unisid`` command line. Bad input ends in one ``error: ...`` line and exit code 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from unisid.errors import UnisidError

app = typer.Typer(
    help="Generative recommendation on unified semantic-collaborative item IDs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Inspect and convert datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console()

SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Dotted override, e.g. quantizer.method=rqkmeans")]


@data_app.command("stats")
def data_stats(
    path: Annotated[str, typer.Argument(help="Dataset folder/file, or 'synthetic[:n_items=...,seed=...]'")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    kcore: Annotated[int, typer.Option(help="k-core for raw Amazon dumps")] = 5,
) -> None:
    """Users, items, interactions, density, sequence lengths, items without text."""
    from unisid.config import DataConfig
    from unisid.data import dataset_stats, load_dataset

    ds = load_dataset(path, DataConfig(kcore=kcore))
    st = dataset_stats(ds)
    if as_json:
        print(json.dumps({"name": ds.name, **st}, indent=2))
        return
    table = Table(title=f"{ds.name} ({path})", show_header=False)
    for k, v in st.items():
        if isinstance(v, float):
            text = f"{v:.6f}" if k == "density" else f"{v:.2f}"
        else:
            text = f"{v:,}"
        table.add_row(k.replace("_", " "), text)
    console.print(table)


@data_app.command("convert")
def data_convert(
    path: Annotated[str, typer.Argument(help="Dataset to convert")],
    out: Annotated[Path, typer.Argument(help="Output folder")],
    to: Annotated[str, typer.Option("--to", help="Target format (lcrec)")] = "lcrec",
    name: Annotated[str | None, typer.Option(help="File name prefix (default: dataset name)")] = None,
    kcore: Annotated[int, typer.Option(help="k-core for raw Amazon dumps")] = 5,
) -> None:
    """Convert a dataset to LC-Rec format (X.inter.json, X.item.json, X.item2id, X.user2id)."""
    from unisid.config import DataConfig
    from unisid.data import export_lcrec, load_dataset

    if to != "lcrec":
        raise UnisidError(f"unknown target format {to!r}; supported: lcrec")
    ds = load_dataset(path, DataConfig(kcore=kcore))
    export_lcrec(ds, out, name)
    console.print(f"wrote {ds.n_users:,} users, {ds.n_items:,} items to {out}")


@app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="First run directory")],
    run_b: Annotated[Path, typer.Argument(help="Second run directory")],
    stage: Annotated[str, typer.Option(help="test or valid")] = "test",
) -> None:
    """Both runs' metrics with paired t-test and bootstrap p-values (B - A)."""
    from unisid.evaluate import compare_runs

    rows = compare_runs(run_a, run_b, stage)
    table = Table(title=f"{stage}: A={run_a}  B={run_b}")
    for col in ("metric", "A", "B", "B-A", "95% CI", "t-test p", "bootstrap p"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.metric, f"{r.a:.4f}", f"{r.b:.4f}", f"{r.delta:+.4f}", f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]",
            f"{r.t_pvalue:.3g}", f"{r.bootstrap_pvalue:.3g}",
        )
    console.print(table)


def _open_run(config: Path, overrides: list[str] | None, out: Path | None):
    """Resolved config and its run directory (default runs/<name>-<config hash>)."""
    from unisid.config import load_config
    from unisid.runs import Run, default_run_dir

    cfg = load_config(config, overrides or [])
    return cfg, Run(out or default_run_dir(cfg), cfg)


@app.command("tokenize")
def tokenize_cmd(
    config: Annotated[Path, typer.Argument(help="Experiment YAML (see configs/)")],
    overrides: SetOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (default: runs/<name>-<hash>)")] = None,
) -> None:
    """Turn a dataset into semantic IDs: embeddings -> fusion -> quantization -> sids.json + SID report."""
    from unisid.pipeline import tokenize

    cfg, run = _open_run(config, overrides, out)
    tok = tokenize(run, cfg)
    _print_sid_summary(tok.report)
    console.print(f"run directory: [bold]{run.root}[/bold]  (sids.json, sid_report.json, sid_report.png)")


@app.command("run")
def run_cmd(
    config: Annotated[Path, typer.Argument(help="Experiment YAML (see configs/)")],
    overrides: SetOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (default: runs/<name>-<hash>)")] = None,
) -> None:
    """End to end: data -> embeddings -> fusion -> SIDs -> recommender -> evaluation -> report.html.
    Every stage is cached in the run directory; re-running resumes where it stopped."""
    from unisid.pipeline import run_experiment

    cfg, run = _open_run(config, overrides, out)
    metrics = run_experiment(run, cfg)
    table = Table(title=f"{cfg.name}: test metrics ({cfg.recommender.backbone})")
    for k in ("recall@5", "recall@10", "ndcg@5", "ndcg@10"):
        table.add_column(k, justify="right")
    table.add_row(*(f"{metrics['test'][k]:.4f}" for k in ("recall@5", "recall@10", "ndcg@5", "ndcg@10")))
    console.print(table)
    if "evaluated_users" in metrics:
        console.print(f"(evaluated on a fixed sample of {metrics['evaluated_users']:,} users)")
    console.print(f"run directory: [bold]{run.root}[/bold]  (metrics.json, report.html)")


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="A run directory")]) -> None:
    """(Re)write RUN_DIR/report.html from the run's artifacts."""
    from unisid.config import load_config
    from unisid.data import load_dataset
    from unisid.report.html import write_report

    if not (run_dir / "config.yaml").exists():
        raise UnisidError(f"{run_dir} is not a run directory (no config.yaml)")
    cfg = load_config(run_dir / "config.yaml")
    out = write_report(run_dir, load_dataset(cfg.data.path, cfg.data, warn=False))
    console.print(f"wrote {out}")


def _print_sid_summary(rep: dict) -> None:
    table = Table(title=f"SIDs: {rep['n_items']:,} items, {rep['n_levels']} levels, fusion={rep.get('fusion')}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("collision rate (before handling)", f"{rep['collision_rate_before']:.4f}")
    table.add_row("collision rate", f"{rep['collision_rate']:.4f}")
    for lv in rep["levels"]:
        table.add_row(f"level {lv['level']} codes used / size", f"{lv['codes_used']}/{lv['codebook_size']} "
                      f"(perplexity {lv['perplexity']:.1f})")
    s, c = rep["semantic_consistency"], rep["collaborative_consistency"]
    table.add_row("text cosine L1 / L1+2 / random", f"{s['level1']:.3f} / {s['level12']:.3f} / {s['random']:.3f}")
    table.add_row("CF cosine L1 / L1+2 / random", f"{c['level1']:.3f} / {c['level12']:.3f} / {c['random']:.3f}")
    table.add_row("co-interaction L1 / L1+2 / random",
                  f"{c['co_interaction_level1']:.4f} / {c['co_interaction_level12']:.4f} / {c['co_interaction_random']:.4f}")
    if "sequential_consistency" in rep:
        q = rep["sequential_consistency"]
        table.add_row("next-item L1 code: information from previous L1 (bits)",
                      f"{q['mutual_information_level1']:.2f} of {q['next_level1_entropy']:.2f}")
    if "category_purity_level1" in rep:
        table.add_row("category purity L1 (majority baseline)",
                      f"{rep['category_purity_level1']:.3f} ({rep['category_purity_random']:.3f})")
    if "gates" in rep:
        table.add_row("gate mean (text weight)", f"{rep['gates']['mean']:.3f}")
    console.print(table)


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="unisid")
    except UnisidError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; re-run the same command to resume", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
