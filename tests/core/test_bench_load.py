"""bench.bench_load's protocol client against a real ``streamlit run app.py``: a lecturer and two
students who follow its room, over Streamlit's websocket, no browser. Functional only: no speed is
asserted here (bench/bench_load.py measures it)."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from bench import bench_load
from bench.bench_load import StreamlitClient, Widget

pytestmark = pytest.mark.slow

# Generous: a busy 2-core machine must not fail this test.
RUN_TIMEOUT_S = 240
PAGE = "p05_geometry"
ROOM = "benchtest"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = bench_load._free_port()
    log = tmp_path_factory.mktemp("bench_load") / "server.log"
    process = bench_load.start_server(port, 1, log, env={"RDL_ROOMS": ""})  # rooms in the server's memory
    try:
        bench_load.wait_for_health(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def _at(page: str, step: int):
    return lambda client: client.page == page and bench_load._step_of(client.query) == step


async def _polled(client: StreamlitClient, timeout_s: float) -> bool:
    """Whether ``client`` ran a room poll within ``timeout_s`` (a busy machine may take a while)."""
    deadline = time.monotonic() + timeout_s
    while not client.polls and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return bool(client.polls)


async def _classroom(base_url: str) -> None:
    lecturer = StreamlitClient(base_url, timeout_s=RUN_TIMEOUT_S)
    students = [StreamlitClient(base_url, timeout_s=RUN_TIMEOUT_S) for _ in range(2)]
    everyone = [lecturer, *students]
    await asyncio.gather(*(client.connect() for client in everyone))
    try:
        opened = await lecturer.open(PAGE, f"presenter=1&room={ROOM}&step=1")
        assert (opened.status, opened.exceptions) == ("ok", 0)
        assert lecturer.page == PAGE and dict(parse_qsl(lecturer.query))["room"] == ROOM
        next_button = [wid for wid in lecturer.button_ids if wid.endswith("-lecture_next")]
        assert len(next_button) == 1

        # The follow link lands on the lecturer's page and step (the room, read by the server).
        for client in students:
            result = await client.open("", f"follow={ROOM}")
            assert (result.status, result.exceptions) == ("ok", 0)
            assert _at(PAGE, 1)(client), (client.page, client.query)
            assert client.widgets, "the page's widgets were not read from its deltas"

        # A widget move goes up in a BackMsg and lands in the address bar (the browser's part); a tab
        # opening that link gets the widget back from the server at the moved value.
        dataset = next(w for w in students[0].widgets.values() if w.key == "p05_dataset")
        value = next(option for option in dataset.options if option != dataset.value)
        moved = await students[0].move(dataset, value)
        assert (moved.status, moved.exceptions) == ("ok", 0)
        link = [(k, v) for k, v in parse_qsl(students[0].query) if k != "follow"]
        assert ("p05_dataset", value) in link
        reader = StreamlitClient(base_url, timeout_s=RUN_TIMEOUT_S)
        await reader.connect()
        try:
            opened = await reader.open(PAGE, urlencode(link))
            assert (opened.status, opened.exceptions) == ("ok", 0)
            assert next(w for w in reader.widgets.values() if w.key == "p05_dataset").value == value
        finally:
            await reader.close()

        # The lecturer's Next: its own run shows step 2, and the followers' polls bring them there.
        clicked = await lecturer.click(next_button[0])
        assert (clicked.status, clicked.exceptions) == ("ok", 0)
        assert _at(PAGE, 2)(lecturer), lecturer.query
        arrived = await asyncio.gather(*(client.reach(_at(PAGE, 2), RUN_TIMEOUT_S) for client in students))
        assert arrived == [True, True]
        # Every tab polls its room: wait for a first poll rather than assume one fitted in the time above.
        assert await asyncio.gather(*(_polled(client, RUN_TIMEOUT_S) for client in everyone)) == [True] * 3
        for client in everyone:
            assert client.polls and all(poll.status == "ok" for poll in client.polls)
            assert client.misread == [] and client.closed_reason is None
    finally:
        await asyncio.gather(*(client.close() for client in everyone))


def test_a_lecturer_and_two_followers_round_trip(server):
    asyncio.run(_classroom(server))


@pytest.mark.parametrize(
    "widget",
    [
        Widget("a", "radio", "k", False, options=("x", "y", "z"), value="y"),
        Widget("b", "selectbox", "k", False, options=("x", "y"), value=None),
        Widget("c", "select_slider", "k", False, options=("1", "2", "5"), value=["5"]),
        Widget("d", "select_slider", "k", False, options=("1", "2", "5"), value=["1", "2"]),
        Widget("e", "slider", "k", False, low=0.0, high=1.0, step=0.25, value=[1.0]),
        Widget("f", "slider", "k", False, low=0.0, high=1.0, step=0.25, value=[0.25, 0.5]),
        Widget("g", "number_input", "k", False, low=0.0, high=1.0, step=0.01, value=0.0),
        Widget("h", "checkbox", "k", False, value=False),
    ],
)
def test_another_value_is_a_different_valid_value(widget):
    for seed in range(20):
        value = bench_load.another_value(widget, random.Random(seed))
        if widget.kind in ("slider", "number_input"):
            values = value if isinstance(value, list) else [value]
            assert all(widget.low <= v <= widget.high for v in values)  # exact: clamped to the bounds
            assert len(values) == (len(widget.value) if isinstance(widget.value, list) else 1)
            assert values == sorted(values)
        elif widget.kind == "select_slider":
            assert set(value) <= set(widget.options) and len(value) == len(widget.value)
        elif widget.kind != "checkbox":
            assert value in widget.options
        assert value != widget.value


@pytest.mark.parametrize("asked,expected", [(None, "1"), ("2", "2")])
def test_the_server_runs_torch_on_the_threads_bench_load_chose(asked, expected):
    """ui.warmup (imported by app.py before any page imports torch) gives torch ui.warmup.THREADS
    intra-op threads, unless OMP_NUM_THREADS says otherwise; a fresh process, as a server starts."""
    root = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    if asked is not None:
        env["OMP_NUM_THREADS"] = asked
    script = "import ui.warmup, torch, threading; print(torch.get_num_threads())"
    shown = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-1] == expected
