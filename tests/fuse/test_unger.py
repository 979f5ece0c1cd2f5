import numpy as np
import torch

from tests.fuse.test_uqf import _inputs
from unisid.config import FusionConfig, UngerConfig
from unisid.fuse import FUSERS
from unisid.fuse.unger import AdaLNIntegrator


def test_unger_trains_and_integrates():
    inputs = _inputs()
    out = FUSERS.get("unger")(inputs, FusionConfig(method="unger", unger=UngerConfig(dim=32, epochs=8, batch_size=64)))
    assert out.embedding.shape == (80, 32) and np.isfinite(out.embedding).all()
    assert out.log["next"][-1] < out.log["next"][0]
    assert out.log["align"][-1] < out.log["align"][0]


def test_adaln_conditions_text_on_cf():
    m = AdaLNIntegrator(8, 4, 16)
    torch.nn.init.normal_(m.cond[-1].weight)  # leave the zero init so conditioning is visible
    text = torch.randn(3, 8)
    cold = torch.zeros(3, dtype=torch.bool)
    a, _, _ = m(text, torch.randn(3, 4), cold)
    b, _, _ = m(text, torch.randn(3, 4), cold)
    assert not torch.allclose(a, b)  # same text, different CF -> different integrated embedding
    c, _, _ = m(text, torch.randn(3, 4), torch.ones(3, dtype=torch.bool))
    d, _, _ = m(text, torch.randn(3, 4), torch.ones(3, dtype=torch.bool))
    assert torch.allclose(c, d)  # cold items: learned null CF, CF input ignored
