"""One table of every finished Office run directory under runs/bench/ (or the folders given):
backbone, SIDs, test Recall/NDCG@{5,10}, training time. Generated from the run directories.

    python benchmarks/office_table.py [RUN_DIR ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, header, table  # noqa: E402


def describe(run: Path) -> dict | None:
    if not (run / "metrics.json").exists():
        return None
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    if "Office" not in str(cfg["data"]["path"]):
        return None
    metrics = json.loads((run / "metrics.json").read_text())
    m = metrics["test"]
    st = json.loads((run / "manifest.json").read_text())["stages"]
    backbone = cfg["recommender"]["backbone"]
    generative = (run / "sids.json").exists()
    sids = f"{cfg['fusion']['method']}/{cfg['quantizer']['method']}" if generative else "-"
    hist = json.loads((run / "rec" / "history.json").read_text()) if (run / "rec" / "history.json").exists() else {}
    section = backbone if backbone in ("tiger", "lcrec") else "baseline"
    budget = f"{cfg['recommender'][section]['epochs']} max, best {hist.get('best_epoch', '-')}" if hist else "-"
    return {"model": backbone, "SIDs": sids, "seed": cfg["seed"], "recall@5": m["recall@5"],
            "recall@10": m["recall@10"], "ndcg@5": m["ndcg@5"], "ndcg@10": m["ndcg@10"],
            "train s": st.get("recommend", {}).get("seconds", float("nan")), "epochs": budget,
            "exclude history": cfg["recommender"]["exclude_history"],
            "users": metrics.get("evaluated_users", "all"), "run": run.name}


def main() -> None:
    runs = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "runs" / "bench").glob("*"))
    rows = [r for r in (describe(p) for p in runs) if r]
    rows.sort(key=lambda r: (r["SIDs"] != "-", -r["ndcg@10"]))
    md = header("Amazon Office: baselines and generative models side by side (test, full ranking)")
    md += ("Leave-one-out, full ranking over all 2,420 items, one held-out item per user (Recall@K = HR@K). "
           "Generated from the run directories by this script. `epochs` = training budget and best (early-stopped) "
           "epoch: the TIGER rows had a reduced 10-epoch budget on this 2-core CPU and were still improving "
           "when it ran out (see tiger_office.md), so they are not a fair comparison yet. The lcrec rows are a "
           "reduced CPU budget (one epoch over 2,350 prompts) evaluated on a fixed sample of 300 users "
           "(`users`); see lcrec_office.md.\n\n")
    md += table(rows, list(rows[0]) if rows else [], {"train s": "{:.0f}"})
    (RESULTS / "office_table.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
