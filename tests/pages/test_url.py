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
    assert at.query_params["seed"] in ("0", ["0"])  # the link now says what was used


def test_a_good_seed_in_the_link_is_used():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["seed"] = "7"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception and not at.sidebar.warning
    assert at.number_input(key="seed").value == 7


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_a_number_that_is_not_finite_in_the_link_is_refused_in_one_sentence(value):
    """Streamlit's own seeding raises OverflowError on int("inf"): the page must say which value it used."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["p01_epochs"] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    default = at.number_input(key="p01_epochs").value
    assert any(
        f"p01_epochs={value!r}" in warning.value and f"uses {default} instead" in warning.value
        for warning in at.warning
    )


@pytest.mark.parametrize(
    "page,old,new,value",
    [
        ("app_pages/p01_erm_playground.py", "erm_lr", "p01_lr", "0.1"),
        ("app_pages/p02_composition.py", "comp_width", "p02_width", "8"),
        ("app_pages/p11_take_home.py", "take_home_sigma", "p11_sigma", "0.2"),
    ],
)
def test_a_link_written_with_a_keys_old_name_still_sets_its_widget(page, old, new, value):
    """Keys became pNN_ (erm_lr is p01_lr): a link written before still replays, under the new name."""
    from ui import url

    assert url.old_key(new) == old
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params[old] = value
    at.switch_page(page)
    at.run()
    assert not at.exception and not [w for w in at.warning if w.value.startswith("The link's")]
    assert url.number_text(at.select_slider(key=new).value) == value
    assert at.session_state[url.VALUES_KEY][new] == [value]
    assert old not in at.query_params and at.query_params[new] in (value, [value])


def test_a_link_naming_a_key_both_ways_uses_the_name_it_has_now():
    from ui import url

    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"erm_lr": "0.1", "p01_lr": "0.03"})
    at.switch_page("app_pages/p01_erm_playground.py")
    at.run()
    assert not at.exception
    assert at.session_state[url.VALUES_KEY]["p01_lr"] == ["0.03"] and "erm_lr" not in at.query_params
