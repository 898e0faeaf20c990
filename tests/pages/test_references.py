"""References page: every paper of the talk with its arXiv link and the scenes that use it."""
import re

ARXIV_IDS = ["1312.6199", "1412.6572", "1608.04644", "1706.06083", "1802.00420", "1802.03471",
             "1809.03113", "1902.02918", "1902.01148", "1906.04584", "2002.08118", "2001.03994",
             "1607.02533"]


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
