import numpy as np

from unisid.config import TextEmbedConfig
from unisid.data import Item
from unisid.embed.text import encode_items, item_texts

ITEMS = [
    Item(title="Red stapler", brand="Acme", categories="Office, Staplers", description="one two three four five"),
    Item(title="Blue stapler", brand="Acme", categories="Office, Staplers"),
    Item(title="Laser printer", brand="Inkco", categories="Office, Printers", description="prints pages fast"),
    Item(),
]


def test_template_fields_order_and_truncation():
    cfg = TextEmbedConfig(fields=["brand", "title", "description"], max_description_tokens=2)
    texts = item_texts(ITEMS, cfg)
    assert texts[0] == "Brand: Acme; Title: Red stapler; Description: one two"
    assert texts[1] == "Brand: Acme; Title: Blue stapler"
    assert texts[3] == ""


def test_encode_default_model_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISID_CACHE", str(tmp_path))
    cfg = TextEmbedConfig(token_states=True, max_token_states=8, batch_size=2)
    emb = encode_items(ITEMS, cfg)
    assert emb.pooled.shape == (4, 384) and emb.pooled.dtype == np.float32
    assert emb.tokens.shape == (4, 8, 384) and emb.tokens.dtype == np.float16
    assert emb.token_mask[0].all() and not emb.token_mask[3].all()
    cos = emb.pooled @ emb.pooled.T
    assert cos[0, 1] > cos[0, 2]  # two staplers closer than stapler vs printer
    again = encode_items(ITEMS, cfg)  # served from cache
    np.testing.assert_array_equal(again.pooled, emb.pooled)
    assert len(list(tmp_path.glob("text/*/pooled.npy"))) == 1
