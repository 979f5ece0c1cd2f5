"""Item embeddings: text (sentence-transformers) and collaborative (LightGCN)."""
