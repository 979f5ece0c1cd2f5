"""Evaluation: full-ranking Recall/NDCG@K and paired run comparison."""

from unisid.evaluate.compare import compare_runs, load_per_user, paired_compare, save_per_user
from unisid.evaluate.metrics import (
    DEFAULT_KS,
    by_target_popularity,
    evaluate_rankings,
    metric_names,
    metrics_by_group,
    per_user_metrics,
    popularity_groups,
    target_ranks,
    topk_from_scores,
)

__all__ = [
    "DEFAULT_KS", "by_target_popularity", "compare_runs", "evaluate_rankings", "load_per_user", "metric_names", "metrics_by_group", "paired_compare",
    "per_user_metrics", "popularity_groups", "save_per_user", "target_ranks", "topk_from_scores",
]
