"""Data layer: one in-memory Dataset, loaders by format, LC-Rec export, leave-one-out protocol."""

from unisid.data.dataset import Dataset, Item, build_dataset
from unisid.data.lcrec import export_lcrec
from unisid.data.loaders import load_dataset
from unisid.data.split import LeaveOneOut
from unisid.data.stats import dataset_stats
from unisid.data.synthetic import generate_synthetic

__all__ = [
    "Dataset", "Item", "LeaveOneOut", "build_dataset", "dataset_stats", "export_lcrec",
    "generate_synthetic", "load_dataset",
]
