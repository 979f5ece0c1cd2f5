"""Benchmark: `unisid tokenize` on Office for text/cf/concat x rqvae/rqkmeans.

Writes benchmarks/results/tokenize_office.md (+ .json): wall time of every stage and the SID
report figures. Embedding stages run once (first combination, text-embedding cache cold) and are
reused by the others, exactly as a user re-running with another fusion/quantizer would see.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, header, table  # noqa: E402

FUSIONS = ["text", "cf", "concat"]
QUANTIZERS = ["rqvae", "rqkmeans"]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-tokenize-"))
    env = {"UNISID_CACHE": str(work / "cache")}
    rows, stage_rows, commands = [], [], []
    for fusion in FUSIONS:
        for q in QUANTIZERS:
            cmd = ["unisid", "tokenize", f"configs/office-{fusion}.yaml", "--set", f"quantizer.method={q}",
                   "--out", str(work / "run")]
            commands.append(" ".join(cmd[:-2]))
            subprocess.run(cmd, cwd=ROOT, check=True, env={**__import__("os").environ, **env},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rep = json.loads((work / "run" / "sid_report.json").read_text())
            man = json.loads((work / "run" / "manifest.json").read_text())
            st = {k: v for k, v in man["stages"].items() if not v.get("skipped")}
            for name, v in st.items():
                stage_rows.append({"fusion": fusion, "quantizer": q, "stage": name, "seconds": v["seconds"]})
            s, c = rep["semantic_consistency"], rep["collaborative_consistency"]
            rows.append({
                "fusion": fusion, "quantizer": q, "items": rep["n_items"],
                "coll_before": rep["collision_rate_before"], "coll_after": rep["collision_rate"],
                "L1 used": rep["levels"][0]["codes_used"], "L1 ppl": rep["levels"][0]["perplexity"],
                "L2 ppl": rep["levels"][1]["perplexity"], "L3 ppl": rep["levels"][2]["perplexity"],
                "sem L1": s["level1"], "sem L12": s["level12"], "sem rand": s["random"],
                "cf L1": c["level1"], "cf L12": c["level12"], "cf rand": c["random"],
                "co L1": c["co_interaction_level1"], "co L12": c["co_interaction_level12"],
                "co rand": c["co_interaction_random"], "purity L1": rep["category_purity_level1"],
            })
    md = header("unisid tokenize on Office (4,905 users, 2,420 items)")
    md += "Commands run (each with `--out RUN`, one run directory shared so embeddings are computed once):\n\n"
    md += "".join(f"- `{c}`\n" for c in commands)
    md += "\n## Wall time per stage (seconds; only stages that ran)\n\n"
    md += table(stage_rows, ["fusion", "quantizer", "stage", "seconds"], {"seconds": "{:.1f}"})
    md += "\n## SID report\n\nsem = mean text-embedding cosine of items sharing the level-1 (L1) / level-1+2 (L12) prefix vs random pairs; cf = the same with LightGCN embeddings; co = share of same-prefix item pairs co-interacted in train; purity = share of the majority top category per level-1 code (majority baseline over all items: see json). ppl = code perplexity.\n\n"
    cols = list(rows[0])
    md += table(rows, cols, {c: ("{:.3f}" if not c.startswith("co") else "{:.4f}") for c in cols})
    (RESULTS / "tokenize_office.md").write_text(md)
    (RESULTS / "tokenize_office.json").write_text(json.dumps({"rows": rows, "stages": stage_rows}, indent=2))
    print(md)


if __name__ == "__main__":
    main()
