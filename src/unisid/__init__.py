"""unisid: generative recommendation on unified semantic-collaborative item IDs."""

__version__ = "0.1.0"
