"""Cat → dog: the targeted attack reacts to its budget; an unreadable upload gives one sentence."""
import io

import torch
from PIL import Image

from ui import adversarial


def test_cat_to_dog_reacts_to_the_budget(open_page, metric):
    at = open_page("app_pages/p03_cat_to_dog.py")
    assert not at.exception
    if not at.selectbox or not any(w.key == "p03_model" for w in at.selectbox):
        assert at.info, "without zoo models the page must say how to build them"
        return
    # The image, its perturbation and the adversarial image, plus the probability bars.
    assert len(at.get("plotly_chart")) == 4
    eps_slider = next(w for w in at.select_slider if w.key.startswith("p03_eps_"))
    linf = float(metric(at, "‖τ‖∞"))
    assert 0 < linf <= eps_slider.value / 255 + 1e-6          # PGD stays in the ℓ∞ ball
    # The printed scale s = ‖τ‖∞ is the one the equation x + s·(τ/s) uses.
    assert any(f"{linf:.3f}" in md.value for md in at.markdown if "+" in md.value and "×" in md.value)

    eps_slider.set_value(16).run()
    assert not at.exception
    assert float(metric(at, "‖τ‖∞")) != linf

    def target_probability_label():
        return next(m.label for m in at.metric if m.label.startswith("P("))

    before = target_probability_label(), metric(at, "‖τ‖₂")
    at.selectbox(key="p03_target").set_value(0).run()           # airplane (or "0", "T-shirt/top")
    assert not at.exception
    after = target_probability_label(), metric(at, "‖τ‖₂")
    assert after[0] != before[0] and after[1] != before[1]      # another target, another perturbation


def test_garbage_upload_gives_one_sentence():
    image, message = adversarial.read_upload(b"\x00\x01 this is not an image \xff" * 10, size=32, channels=3)
    assert image is None
    assert message.endswith(".") and message.count(". ") == 0 and "image" in message
    empty, message = adversarial.read_upload(b"", size=32, channels=3)
    assert empty is None and message


def test_real_upload_is_cropped_and_resized():
    buffer = io.BytesIO()
    Image.new("RGB", (90, 60), (255, 0, 0)).save(buffer, format="PNG")
    image, message = adversarial.read_upload(buffer.getvalue(), size=32, channels=3)
    assert message is None
    assert image.shape == (3, 32, 32)
    assert torch.allclose(image[0], torch.ones(32, 32)) and float(image[1:].abs().max()) == 0
