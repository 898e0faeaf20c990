"""References page: every paper of the talk with its arXiv link and the scenes that use it."""

import re

ARXIV_IDS = [
    "1312.6199",
    "1412.6572",
    "1608.04644",
    "1706.06083",
    "1802.00420",
    "1802.03471",
    "1809.03113",
    "1902.02918",
    "1902.01148",
    "1906.04584",
    "2002.08118",
    "2001.03994",
    "1607.02533",
    "1702.01135",
]


def _shown_count(at) -> tuple[int, int]:
    caption = next(c.value for c in at.caption if "papers" in c.value)
    shown, total = map(int, re.match(r"(\d+) of (\d+) papers", caption).groups())
    return shown, total


def test_references_list_arxiv_links_and_filter_by_scene(open_page):
    at = open_page("app_pages/references.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for arxiv_id in ARXIV_IDS:
        assert f"(https://arxiv.org/abs/{arxiv_id})" in text, arxiv_id
    assert "Cybenko" in text and "Teng" in text
    shown, total = _shown_count(at)
    assert shown == total >= 15
    assert len(at.get("page_link")) >= total  # every paper links at least one scene

    at.selectbox(key="references_scene").set_value("2 · A network is a composition").run()
    assert not at.exception
    assert _shown_count(at)[0] == 1  # only Cybenko (1989)
    assert "Cybenko" in " ".join(m.value for m in at.markdown)


def test_pixeldp_is_credited_for_what_it_was_first_at():
    """PixelDP (Lecuyer et al.) was not the first certificate: Wong & Kolter and Raghunathan et al. came
    earlier."""
    from core.scenes.references import REFERENCES

    (pixeldp,) = [ref for ref in REFERENCES if "PixelDP" in ref[0]]
    assert "the first certificate." not in pixeldp[2]
    assert "ImageNet" in pixeldp[2] and "Wong & Kolter" in pixeldp[2] and "Raghunathan" in pixeldp[2]
    years = [int(re.search(r"\((\d{4})\)", ref[0]).group(1)) for ref in REFERENCES]
    assert years == sorted(years)  # oldest first
