"""Cat → dog: the targeted attack reacts to its budget and target; an unreadable upload gives one sentence."""

import io

from PIL import Image


def test_cat_to_dog_reacts_to_the_budget(open_page, metric):
    at = open_page("app_pages/p03_cat_to_dog.py")
    assert not at.exception
    if not any(w.key == "p03_model" for w in at.selectbox):
        assert at.info, "without zoo models the page must say how to build them"
        return
    # The image, its perturbation and the adversarial image, plus the probability bars.
    assert len(at.get("plotly_chart")) == 4
    eps_slider = next(w for w in at.select_slider if w.key.startswith("p03_eps_"))
    linf = float(metric(at, "‖τ‖∞"))
    assert 0 < linf <= eps_slider.value / 255 + 1e-4  # PGD stays in the ℓ∞ ball
    # The printed scale s = ‖τ‖∞ is the one the equation x + s·(τ/s) uses.
    assert any(f"{linf:.3f}" in md.value for md in at.markdown if "+" in md.value and "×" in md.value)

    eps_slider.set_value(16).run()
    assert not at.exception
    assert float(metric(at, "‖τ‖∞")) != linf

    def target_probability_label():
        return next(m.label for m in at.metric if m.label.startswith("P("))

    before = target_probability_label(), metric(at, "‖τ‖₂")
    at.selectbox(key="p03_target").set_value(0).run()  # airplane (or "0")
    assert not at.exception
    after = target_probability_label(), metric(at, "‖τ‖₂")
    assert after[0] != before[0] and after[1] != before[1]  # another target, another perturbation


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploads_bad_then_good(open_page):
    at = open_page("app_pages/p03_cat_to_dog.py")
    if not any(w.key == "p03_model" for w in at.selectbox):
        return
    uploader = at.get("file_uploader")[0]
    uploader.set_value(("note.png", b"\x00\x01 this is not an image \xff" * 10, "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.endswith(".")  # one sentence …
    assert any("on gallery image #" in md.value for md in at.markdown)  # … and the gallery image is kept
    at.get("file_uploader")[0].set_value(("red.png", _png(90, 60), "image/png")).run()
    assert not at.exception and not at.error
    assert any("on your photo" in md.value for md in at.markdown)


def test_long_attacks_run_on_a_button(open_page):
    at = open_page("app_pages/p03_cat_to_dog.py")
    if not any(w.key == "p03_model" for w in at.selectbox):
        return
    at.select_slider(key="p03_steps").set_value(50).run()
    assert not at.exception
    assert not any(m.label == "‖τ‖∞" for m in at.metric)  # waits for the button
    at.button(key="p03_run").click().run()
    assert not at.exception
    assert any(m.label == "‖τ‖∞" for m in at.metric)


def test_a_file_off_the_list_of_types_gets_one_sentence_not_an_exception(open_page):
    """The browser filters the file dialog by type, but a file can still arrive with another name
    (dragged in, or a crafted request): Streamlit would raise; the page says what to upload."""
    at = open_page("app_pages/p03_cat_to_dog.py")
    if not any(w.key == "p03_model" for w in at.selectbox):
        return
    at.get("file_uploader")[0].set_value(("notes.txt", b"plain text, not a photo", "text/plain")).run()
    assert not at.exception
    assert len(at.error) == 1 and "upload a PNG or JPEG photo" in at.error[0].value
    at.get("file_uploader")[0].set_value(
        ("red.tiff", _png(90, 60), "image/tiff")
    ).run()  # a PNG under another name
    assert not at.exception and not at.error and any("on your photo" in md.value for md in at.markdown)
