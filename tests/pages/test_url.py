"""URL parameters are input like any other: a bad one never raises, the page says which value it used."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP

PAGE = "app_pages/p01_erm_playground.py"


@pytest.mark.parametrize("seed", ["2147483648", "-1", "abc", "1e9999", ""])
def test_a_bad_seed_in_the_link_falls_back_to_the_default_with_one_sentence(seed):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["seed"] = seed
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("seed 0 is used instead" in warning.value for warning in at.sidebar.warning)
    assert at.number_input(key="seed").value == 0
    assert at.query_params["seed"] in ("0", ["0"])   # the link now says what was used


def test_a_good_seed_in_the_link_is_used():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["seed"] = "7"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception and not at.sidebar.warning
    assert at.number_input(key="seed").value == 7
