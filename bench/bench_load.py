"""A classroom against one server, at the protocol level: no browser, only Streamlit's websocket.

    python -m bench.bench_load [--sessions 30 60 100] [--seconds 180] [--threads 1] [--start PAGE]
    python -m bench.bench_load --cost [--repeats 30]     # server CPU seconds per poll, open and move
    python -m bench.bench_load --url http://127.0.0.1:8080 --pids 1234 5678   # a server (or proxy) already up

Each session is a :class:`StreamlitClient`: it opens ``/_stcore/stream`` as the browser does, sends a
``BackMsg`` ``rerun_script`` (the page, its query string, the widget values) and reads ``ForwardMsg``
until ``script_finished``, keeping what the browser would keep: the page shown, the URL's query string
(``page_info_changed``, and the bound widgets' values it writes itself), the widgets the run drew (ids,
keys, options, values, and whether they sit in a step the lecture still hides), and the timers of
``st.fragment(run_every=…)`` (``auto_rerun``), which it reruns as a browser does. A classroom is then:

- one lecturer (``?presenter=1&room=NAME``) who clicks *Next* (the step bar's ``lecture_next`` button)
  every ``--step-seconds``, walking the talk from ``--start``;
- ``--sessions`` students who open ``/?follow=NAME`` and are brought to each new step by their room
  poll (with ``--direct``: who open the lecturer's page and step themselves 0–2 s after each move), and
  each move one widget of the steps shown every ``--move-seconds`` (a random bound widget set to
  another of its values), voting instead at a predict-then-reveal step.

Latency is the time from sending a ``BackMsg`` to its run's end; "follow" is the lecturer's click to a
student's tab showing the new step. Errors are exception elements, runs that end with an error status,
websocket failures and runs over ``--timeout`` seconds. The server's CPU and resident memory are
sampled from /proc every second: at start (before the first session), after the warm-up (one tab per
server visits the lecturer's pages once, as a rehearsal), on the plateau (the last third of the run)
and at the peak. ``--cost`` instead times the server's CPU seconds per run of each kind, one tab at a
time. Only the given address (127.0.0.1 by default) is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT_S = 120
FINISHED = ForwardMsg.ScriptFinishedStatus
# Widgets a student leaves alone: the seed (a new seed trains toys), the presenter's toggle, the step bar.
SKIPPED_KEYS = {"seed", "presenter_mode"}
SKIPPED_PREFIXES = ("lecture_",)
MOVABLE = ("slider", "radio", "selectbox", "number_input", "checkbox")


@dataclass
class Widget:
    """A widget the last run drew, as its ForwardMsg described it."""

    id: str
    kind: str  # "slider", "select_slider", "radio", "selectbox", "number_input", "checkbox"
    key: str
    hidden: bool  # inside a step the lecture does not show yet
    label: str = ""
    options: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    value: object = None  # as the BackMsg carries it: option text(s), number(s), bool
    default: object = None  # likewise; the browser keeps a bound widget's default out of the URL
    param: str = ""  # the URL parameter the widget is bound to ("" when none)


@dataclass
class RunResult:
    seconds: float
    exceptions: int
    status: str  # "ok", "error" (the run ended with an error status), "timeout" or "disconnected"


class StreamlitClient:
    """One browser tab at the protocol level: a websocket to ``/_stcore/stream``.

    ``open(page, query)`` is a page load (a link); ``move(widget, value)`` and ``click(widget)`` are what
    the browser sends when a widget changes. Each returns when the script run it started is over. Like
    the browser, the tab reruns each ``st.fragment(run_every=…)`` the server announces (``auto_rerun``)
    at its interval, skipping a tick while a run is under way; ``polls`` keeps those runs' results.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 120.0):
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.stream_url = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        self.timeout_s = timeout_s
        self.page = ""  # url_pathname of the page shown ("" for the home page)
        self.page_hash = ""
        self.query = ""
        self.widgets: dict[str, Widget] = {}
        self.button_ids: list[str] = []
        self.widget_states: dict[str, Widget] = {}  # values this tab has set on the page shown
        self.polls: list[RunResult] = []
        self.polling = True  # False: the fragment timers are held (the cost measurement times one thing)
        self.misread: list[str] = []  # messages this client could not take in (a bug here, not the server's)
        self.received_bytes = 0
        self.closed_reason: str | None = None
        self._pages: dict[str, str] = {}  # page_script_hash → url_pathname (from the navigation message)
        self._hidden: list[tuple[int, ...]] = []  # delta paths of the blocks the lecture hides
        self._fragments: dict[str, float] = {}  # fragment id → seconds between its automatic reruns
        self._exceptions = 0
        self._finished: asyncio.Future | None = None
        self._waiters: list[
            tuple[object, asyncio.Future]
        ] = []  # (predicate, future) checked at each run's end
        self._lock = asyncio.Lock()  # one run at a time, as in a browser tab
        self._socket = None
        self._tasks: list[asyncio.Task] = []

    async def connect(self) -> None:
        self._socket = await websockets.connect(
            self.stream_url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout_s,
            ping_interval=None,  # a browser sends no pings (it answers the server's): a busy server is fine
        )
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._poll())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._socket is not None:
            await self._socket.close()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 — closing anyway
                pass

    async def open(self, page: str, query: str = "") -> RunResult:
        """Load ``page`` (its url path, "" for home) with ``query``, as a browser following a link."""
        async with self._lock:
            self.widget_states, self._fragments = {}, {}
            back = self._state(query)
            back.rerun_script.page_name = page
            back.rerun_script.page_script_hash = ""  # the page is named: a hash would win over the name
            return await self._send(back)

    async def move(self, widget: Widget, value) -> RunResult:
        """Set ``widget`` to ``value`` (in the BackMsg's terms) and rerun, as the browser does."""
        async with self._lock:
            widget.value = value
            self.widget_states[widget.id] = widget
            if widget.param:  # the browser writes a bound widget's value in the address bar itself
                self.query = _bound_query(self.query, widget)
            return await self._send(self._state(self.query))

    async def click(self, widget_id: str) -> RunResult:
        """Press a button: a trigger value, true for this run only."""
        async with self._lock:
            back = self._state(self.query)
            trigger = back.rerun_script.widget_states.widgets.add()
            trigger.id = widget_id
            trigger.trigger_value = True
            return await self._send(back)

    async def reach(self, predicate, timeout_s: float) -> bool:
        """Wait until a run ends with ``predicate(self)`` true (a run the server started counts)."""
        if predicate(self):
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            return await asyncio.wait_for(future, timeout_s)
        except asyncio.TimeoutError:
            return False
        finally:
            self._waiters = [(p, f) for p, f in self._waiters if f is not future]

    def _state(self, query: str):
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        state.page_script_hash = self.page_hash
        for widget in self.widget_states.values():
            _write_value(state.widget_states.widgets.add(), widget)
        return back

    async def _send(self, back: BackMsg) -> RunResult:
        if self.closed_reason is not None:
            return RunResult(0.0, 0, "disconnected")
        self._finished = asyncio.get_running_loop().create_future()
        self._exceptions = 0
        started = time.monotonic()
        try:
            await self._socket.send(back.SerializeToString())
            status = await asyncio.wait_for(asyncio.shield(self._finished), self.timeout_s)
        except asyncio.TimeoutError:
            status = "timeout"
        except websockets.ConnectionClosed:
            status = "disconnected"
        return RunResult(time.monotonic() - started, self._exceptions, status)

    async def _poll(self) -> None:
        """The browser's timers for ``st.fragment(run_every=…)``: rerun each fragment at its interval."""
        due: dict[str, float] = {}
        while self.closed_reason is None:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for fragment, interval in list(self._fragments.items()) if self.polling else ():
                due.setdefault(fragment, now + interval)
                if now < due[fragment]:
                    continue
                due[fragment] = now + interval
                if self._lock.locked():
                    continue  # a run is under way: this tick is skipped
                async with self._lock:
                    if fragment not in self._fragments:
                        continue
                    back = self._state(self.query)
                    back.rerun_script.fragment_id = fragment
                    back.rerun_script.is_auto_rerun = True
                    self.polls.append(await self._send(back))
            for fragment in [f for f in due if f not in self._fragments]:
                del due[fragment]

    async def _read(self) -> None:
        try:
            async for data in self._socket:
                self.received_bytes += len(data)
                message = ForwardMsg()
                message.ParseFromString(data)
                try:
                    self._take(message)
                except Exception as error:  # noqa: BLE001 — a message this client misreads: said, not fatal
                    self.misread.append(f"{message.WhichOneof('type')}: {type(error).__name__}: {error}")
        except websockets.ConnectionClosed as error:
            self.closed_reason = f"connection closed ({error.rcvd.code if error.rcvd else 'no code'})"
        finally:
            self.closed_reason = self.closed_reason or "connection closed"
            if self._finished is not None and not self._finished.done():
                self._finished.set_result("disconnected")

    def _take(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            if message.metadata.run.fragment_ids:
                return  # a fragment's run: the rest of the page stays as it is
            page_hash = message.new_session.page_script_hash
            if page_hash != self.page_hash:  # another page: the old page's widget values are gone
                self.widget_states = {}
            self.page_hash = page_hash
            self.page = self._pages.get(page_hash, self.page)
            self.widgets, self.button_ids, self._hidden, self._fragments = {}, [], [], {}
        elif kind == "navigation":
            self._pages = {page.page_script_hash: page.url_pathname for page in message.navigation.app_pages}
            self.page_hash = message.navigation.page_script_hash or self.page_hash
            self.page = self._pages.get(self.page_hash, self.page)
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._fragments[message.auto_rerun.fragment_id] = max(message.auto_rerun.interval, 0.05)
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self._fragments.pop(fragment, None)
        elif kind == "delta":
            self._take_delta(message)
        elif kind == "script_finished":
            status = message.script_finished
            if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
                return  # another run follows (st.rerun, a page switch)
            if self._finished is not None and not self._finished.done():
                self._finished.set_result(
                    "ok"
                    if status in (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                    else "error"
                )
            if status == FINISHED.FINISHED_SUCCESSFULLY:
                for predicate, future in self._waiters:
                    if not future.done() and predicate(self):
                        future.set_result(True)

    def _take_delta(self, message: ForwardMsg) -> None:
        delta, path = message.delta, tuple(message.metadata.delta_path)
        which = delta.WhichOneof("type")
        if which == "add_block":
            if "lecture_hidden_" in delta.add_block.id:
                self._hidden.append(path)
            return
        if which != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self._exceptions += 1
            return
        if kind == "button":
            self.button_ids.append(element.button.id)
            return
        if kind not in MOVABLE:
            return
        proto = getattr(element, kind)
        hidden = any(path[: len(block)] == block for block in self._hidden)
        widget = _widget(kind, proto, hidden)
        if widget is not None:
            known = self.widget_states.get(widget.id)
            self.widgets[widget.id] = known if known is not None else widget
            if known is not None:
                known.hidden = hidden


def _widget(kind: str, proto, hidden: bool) -> Widget | None:
    """A Widget from its element proto (None for one a student does not move)."""
    widget = _new_widget(kind, proto, hidden)
    if widget is not None:
        widget.param = getattr(proto, "query_param_key", "")
        widget.default = _default(widget, proto)
    return widget


def _default(widget: Widget, proto):
    if widget.kind == "select_slider":
        return [proto.options[int(index)] for index in proto.default]
    if widget.kind == "slider":
        return list(proto.default)
    if widget.kind in ("radio", "selectbox"):
        has = proto.HasField("default") and 0 <= proto.default < len(proto.options)
        return proto.options[proto.default] if has else None
    return proto.default


def _url_text(value) -> str:
    """A value as Streamlit writes it in a URL: 5.0 → "5", True → "true"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _bound_query(query: str, widget: Widget) -> str:
    """``query`` with ``widget``'s value in its parameter (removed when it is the default)."""
    pairs = [(name, text) for name, text in parse_qsl(query, keep_blank_values=True) if name != widget.param]
    if widget.value != widget.default and widget.value is not None:
        values = widget.value if isinstance(widget.value, list) else [widget.value]
        pairs += [(widget.param, _url_text(value)) for value in values]
    return urlencode(pairs)


def _new_widget(kind: str, proto, hidden: bool) -> Widget | None:
    key = proto.id.split("-", 2)[-1] if proto.id.startswith("$$ID-") else ""
    if (
        not key
        or key in SKIPPED_KEYS
        or key.startswith(SKIPPED_PREFIXES)
        or getattr(proto, "disabled", False)
    ):
        return None
    if kind == "slider":
        values = list(proto.value) if proto.set_value else list(proto.default)
        if proto.options:  # a select slider: its value is option texts
            texts = list(proto.raw_value) if proto.set_value and proto.raw_value else None
            texts = texts or [proto.options[int(index)] for index in values]
            return Widget(
                proto.id, "select_slider", key, hidden, proto.label, options=tuple(proto.options), value=texts
            )
        return Widget(
            proto.id,
            "slider",
            key,
            hidden,
            proto.label,
            low=proto.min,
            high=proto.max,
            step=proto.step,
            value=values,
        )
    if kind in ("radio", "selectbox"):
        if len(proto.options) < 2:
            return None
        if proto.set_value and proto.HasField("raw_value"):
            value = proto.raw_value
        elif proto.HasField("default") and 0 <= proto.default < len(proto.options):
            value = proto.options[proto.default]
        else:
            value = None  # no choice yet (index=None)
        return Widget(proto.id, kind, key, hidden, proto.label, options=tuple(proto.options), value=value)
    if kind == "number_input":
        if not (proto.has_min and proto.has_max):
            return None
        value = proto.value if proto.set_value else proto.default
        return Widget(
            proto.id, kind, key, hidden, low=proto.min, high=proto.max, step=proto.step or 1, value=value
        )
    if kind == "checkbox":
        return Widget(
            proto.id, kind, key, hidden, value=bool(proto.value if proto.set_value else proto.default)
        )
    return None


def _write_value(state, widget: Widget) -> None:
    """A WidgetState as the browser writes it for ``widget``'s kind."""
    state.id = widget.id
    if widget.kind == "slider":
        state.double_array_value.data.extend(float(v) for v in widget.value)
    elif widget.kind == "select_slider":
        state.string_array_value.data.extend(widget.value)
    elif widget.kind in ("radio", "selectbox"):
        state.string_value = widget.value
    elif widget.kind == "number_input":
        state.double_value = float(widget.value)
    elif widget.kind == "checkbox":
        state.bool_value = bool(widget.value)


def another_value(widget: Widget, rng: random.Random):
    """A value of ``widget`` other than its current one, drawn from ``rng`` (one step away for numbers)."""
    if widget.kind in ("radio", "selectbox"):
        return rng.choice([option for option in widget.options if option != widget.value])
    if widget.kind == "select_slider":
        current = [widget.options.index(text) for text in widget.value]
        moved = current[-1] + rng.choice((-1, 1))
        moved = moved if 0 <= moved < len(widget.options) else current[-1] - (moved - current[-1])
        if len(current) == 2:  # a range: move its upper end, never below the lower one
            moved = max(moved, current[0])
            return [widget.options[current[0]], widget.options[moved]]
        return [widget.options[moved]]
    if widget.kind in ("slider", "number_input"):
        values = list(widget.value) if widget.kind == "slider" else [widget.value]
        step = widget.step or 1.0
        moved = values[-1] + rng.choice((-step, step))
        if not widget.low <= moved <= widget.high:
            moved = values[-1] - (moved - values[-1])
        moved = round(min(max(moved, widget.low), widget.high), 10)
        if widget.kind == "number_input":
            return moved
        return [*values[:-1], max(moved, values[0])] if len(values) == 2 else [moved]
    return not widget.value  # a checkbox


# --- the server's process -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def start_server(port: int, threads: int | None, log_path: Path, env: dict | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:``port``; ``threads`` sets OMP_NUM_THREADS when given."""
    extra = {"OMP_NUM_THREADS": str(threads)} if threads else {}
    with open(log_path, "w") as log:  # a file, not a pipe: nobody reads a pipe during the run
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), **extra},
        )


def wait_for_health(base_url: str, server: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before serving.")
        try:
            with urllib.request.urlopen(f"{base_url.rstrip('/')}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base_url} did not answer /_stcore/health within {SERVER_START_TIMEOUT_S} s.")


class Sampler:
    """CPU (cores busy over each second) and resident memory of the server processes, from /proc."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        # (time, cores busy over the last second, resident MB, CPU seconds so far), summed over the processes
        self.samples: list[tuple[float, float, float, float]] = []
        self._last = None

    def sample(self) -> None:
        now = time.monotonic()
        try:
            cpu = sum(cpu_seconds(pid) for pid in self.pids)
            rss = sum(rss_mb(pid)[0] for pid in self.pids)
        except (FileNotFoundError, ProcessLookupError):
            return
        if self._last is not None:
            self.samples.append((now, (cpu - self._last[1]) / max(now - self._last[0], 1e-6), rss, cpu))
        self._last = (now, cpu)

    def rss_now(self) -> float:
        return sum(rss_mb(pid)[0] for pid in self.pids)

    def peak(self) -> float:
        return sum(rss_mb(pid)[1] for pid in self.pids)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass


# --- the classroom ------------------------------------------------------------------------------------


KINDS = ("open", "move", "vote", "follow", "next", "poll")


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    exceptions: int = 0

    def add(self, what: str, result: RunResult, where: str) -> None:
        self.exceptions += result.exceptions
        if result.status == "ok" and not result.exceptions:
            self.latencies[what].append(result.seconds)
        else:
            reason = result.status if result.status != "ok" else f"{result.exceptions} exception(s)"
            self.errors[what].append(f"{what} on {where or 'home'}: {reason} after {result.seconds:.1f} s")


@dataclass
class Lecture:
    """Where the lecturer is: the page shown and the step, when Next was pressed, and a version that
    grows at every move."""

    page: str = ""
    step: int = 1
    pressed: float = 0.0
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def _step_of(query: str) -> int:
    values = dict(parse_qsl(query))
    try:
        return int(values.get("step", "1"))
    except ValueError:
        return 1


def _with_step(query: str, step: int) -> str:
    values = dict(parse_qsl(query))
    values["step"] = str(step)
    return urlencode(values)


async def lecturer(client: StreamlitClient, lecture: Lecture, record: Record, until: float, every: float):
    """Click Next every ``every`` seconds, and publish where the lecture is."""
    while time.monotonic() + every < until and client.closed_reason is None:
        await asyncio.sleep(every)
        button = next((wid for wid in client.button_ids if wid.endswith("-lecture_next")), None)
        if button is None:
            break  # the end of the talk
        where, pressed = client.page, time.monotonic()
        record.add("next", await client.click(button), where)
        lecture.page, lecture.step, lecture.pressed = client.page, _step_of(client.query), pressed
        lecture.version += 1
        lecture.changed.set()
        lecture.changed = asyncio.Event()


async def student(
    client: StreamlitClient,
    lecture: Lecture,
    record: Record,
    until: float,
    args,
    rng: random.Random,
):
    """Follow the lecturer's scene, and move a widget of the shown steps every ``args.move_seconds``
    (the vote first, at a predict-then-reveal step). Following: with ``args.follow``, the server brings
    the new step (the tab's polling fragment); without, the student opens it 0–2 s after the move."""
    seen = lecture.version
    next_move = time.monotonic() + rng.uniform(0, args.move_seconds)
    while time.monotonic() < until:
        if client.closed_reason is not None:
            record.add("open", RunResult(0.0, 0, client.closed_reason), client.page)
            return
        changed = lecture.changed
        if lecture.version == seen:
            try:
                await asyncio.wait_for(changed.wait(), max(0.0, min(next_move, until) - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        if time.monotonic() >= until:
            break
        if lecture.version != seen:
            seen, page, step = lecture.version, lecture.page, lecture.step
            if args.follow:
                arrived = await client.reach(
                    lambda c: c.page == page and _step_of(c.query) == step, max(1.0, until - time.monotonic())
                )
                if arrived:
                    record.add("follow", RunResult(time.monotonic() - lecture.pressed, 0, "ok"), page)
                elif time.monotonic() < until:
                    record.add("follow", RunResult(time.monotonic() - lecture.pressed, 0, "never"), page)
                continue
            await asyncio.sleep(rng.uniform(0, 2))
            query = _with_step(client.query, step) if page == client.page else f"step={step}"
            record.add("open", await client.open(page, query), page)
            continue
        if time.monotonic() >= next_move:
            next_move += args.move_seconds
            shown = [w for w in client.widgets.values() if not w.hidden] or list(client.widgets.values())
            votes = [w for w in shown if w.label.startswith("Your vote")]
            if votes:
                widget = votes[0]
                record.add("vote", await client.move(widget, rng.choice(widget.options)), client.page)
            elif shown:
                widget = rng.choice(shown)
                value = another_value(widget, rng)
                record.add(
                    "move", await client.move(widget, value), f"{client.page} ({widget.key} → {value})"
                )


async def classroom(base_url: str, sessions: int, args, sampler: Sampler) -> dict:
    """Warm up, then one lecturer and ``sessions`` students for ``args.seconds``; returns the figures."""
    record, warm = Record(), Record()
    lecture = Lecture()
    room = f"bench{os.getpid()}x{sessions}"
    # The rehearsal: one tab per server walks the pages the lecture will show, so that imports are paid.
    walk = _walk(args.start, args.seconds / args.step_seconds + 1)
    warm_started = time.monotonic()
    for warm_url in args.warm_urls or [base_url]:
        rehearsal = StreamlitClient(warm_url, timeout_s=args.timeout)
        await rehearsal.connect()
        for page in dict.fromkeys(walk):
            warm.add("open", await rehearsal.open(page, "step=1"), page)
        await rehearsal.close()
    warm_seconds = time.monotonic() - warm_started
    sampler.sample()
    after_warm = sampler.rss_now()

    teacher = StreamlitClient(base_url, timeout_s=args.timeout)
    await teacher.connect()
    lead = urlencode({"presenter": 1, "room": room, "step": 1}) if args.follow else "step=1"
    record.add("next", await teacher.open(args.start, lead), args.start)
    lecture.page, lecture.step = teacher.page, _step_of(teacher.query)
    students = [StreamlitClient(base_url, timeout_s=args.timeout) for _ in range(sessions)]
    connect_started = time.monotonic()
    await asyncio.gather(*(client.connect() for client in students))
    if args.follow:
        opened = await asyncio.gather(*(client.open("", f"follow={room}") for client in students))
    else:
        opened = await asyncio.gather(
            *(client.open(lecture.page, f"step={lecture.step}") for client in students)
        )
    for result in opened:
        record.add("open", result, lecture.page)
    first_open = time.monotonic() - connect_started
    lost = sum(client.page != lecture.page for client in students)
    run_started = time.monotonic()
    until = run_started + args.seconds
    for client in students + [teacher]:
        client.polls.clear()
    await asyncio.gather(
        lecturer(teacher, lecture, record, until, args.step_seconds),
        *(
            student(client, lecture, record, until, args, random.Random(args.seed * 1000 + k))
            for k, client in enumerate(students)
        ),
    )
    run_seconds = time.monotonic() - run_started
    for client in students + [teacher]:
        for result in client.polls:
            record.add("poll", result, client.page)
    closed = sum(client.closed_reason is not None for client in students + [teacher])
    received = sum(client.received_bytes for client in students + [teacher])
    misread = [line for client in students + [teacher] for line in client.misread]
    for client in students + [teacher]:
        await client.close()
    return {
        "record": record,
        "warm": warm,
        "warm_seconds": warm_seconds,
        "after_warm_mb": after_warm,
        "first_open_s": first_open,
        "not_on_lecture_page": lost,
        "run_started": run_started,
        "run_seconds": run_seconds,
        "closed": closed,
        "walk": [f"{page or 'home'}" for page in dict.fromkeys(walk)],
        "stops": lecture.version,
        "last": f"{lecture.page} step {lecture.step}",
        "bytes": received,
        "misread": misread,
    }


def _walk(start: str, stops: float) -> list[str]:
    """The url paths of the pages the lecturer shows from ``start`` over ``stops`` stops."""
    from core.scenes import lecture as plan
    from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, SCENES

    files = {scene.url_path: scene.page for scene in SCENES} | {"": HOME_PAGE, "references": REFERENCES_PAGE}
    paths = {file: path for path, file in files.items()}
    if start not in files:
        raise SystemExit(
            f"--start {start!r} is not a page; the pages are {', '.join(p or '(home)' for p in files)}."
        )
    stop, walk = (files[start], 1), []
    while stop is not None and len(walk) < stops:
        walk.append(paths[stop[0]])
        stop = plan.next_stop(*stop)
    return walk


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.95 * len(values)))] if values else float("nan")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(sessions: int, figures: dict, sampler: Sampler, start_mb: float, driver_cpu: float) -> dict:
    record = figures["record"]
    during = [sample for sample in sampler.samples if sample[0] >= figures["run_started"]]
    third = during[-max(1, len(during) // 3) :] if during else []
    done = record.latencies
    interactions = done["open"] + done["move"] + done["vote"]
    plateau = statistics.mean(sample[2] for sample in third) if third else float("nan")
    row = {
        "sessions": sessions,
        "interactions": len(interactions),
        "median": _median(interactions),
        "p95": p95(interactions),
        "worst": max(interactions, default=float("nan")),
        "errors": sum(len(lines) for lines in record.errors.values()),
        "exceptions": record.exceptions,
        "error_counts": {kind: len(lines) for kind, lines in record.errors.items() if lines},
        "error_lines": [line for lines in record.errors.values() for line in lines[:3]],
        "cpu_mean": statistics.mean(sample[1] for sample in during) if during else float("nan"),
        "cpu_peak": max((sample[1] for sample in during), default=float("nan")),
        "mem_start": start_mb,
        "mem_warm": figures["after_warm_mb"],
        "mem_plateau": plateau,
        "mem_peak": sampler.peak(),
        "per_session": (plateau - figures["after_warm_mb"]) / sessions if third else float("nan"),
        "driver_cpu": driver_cpu,
        # CPU seconds the server spent per student and minute of lecture: what the load costs, whatever
        # share of the cores the server got on a busy machine
        "cpu_per_student_minute": (during[-1][3] - during[0][3])
        / (sessions * (during[-1][0] - during[0][0]) / 60)
        if len(during) > 1
        else float("nan"),
    }
    for kind in KINDS:
        row[kind] = (len(done[kind]), _median(done[kind]), p95(done[kind]))
    keep = (
        "misread",
        "warm_seconds",
        "first_open_s",
        "not_on_lecture_page",
        "run_seconds",
        "walk",
        "stops",
        "last",
        "bytes",
    )
    return {**row, **{key: figures[key] for key in keep}}


def _counted(figures: tuple[int, float, float]) -> str:
    count, median, high = figures
    return f"{count}: {median:.2f} / {high:.2f} s" if count else "0"


def print_table(rows: list[dict], header: str) -> None:
    print(f"\n{header}")
    print("| measure | " + " | ".join(f"N = {row['sessions']}" for row in rows) + " |")
    print("|---|" + "---|" * len(rows))
    lines = [
        ("interactions (scene opens, widget moves, votes)", lambda r: f"{r['interactions']}"),
        (
            "interaction latency: median / p95 / worst",
            lambda r: f"{r['median']:.2f} / {r['p95']:.2f} / {r['worst']:.1f} s",
        ),
        ("widget moves: count: median / p95", lambda r: _counted(r["move"])),
        ("votes: count: median / p95", lambda r: _counted(r["vote"])),
        ("scene opens (first page, or the lecturer's): count: median / p95", lambda r: _counted(r["open"])),
        ("lecturer's Next → a follower shows the step: count: median / p95", lambda r: _counted(r["follow"])),
        ("lecturer's Next (the projector's own rerun): count: median / p95", lambda r: _counted(r["next"])),
        ("room polls (fragment reruns every 0.5 s): count: median / p95", lambda r: _counted(r["poll"])),
        (
            "errors (exceptions, error ends, timeouts, disconnects, steps never reached)",
            lambda r: f"{r['errors']} {r['error_counts'] or ''}",
        ),
        (
            "server CPU seconds per student and minute (cost, whatever the share of the cores it got)",
            lambda r: f"{r['cpu_per_student_minute']:.2f} s",
        ),
        (
            "server CPU: mean / peak (cores busy, 1-s samples)",
            lambda r: f"{r['cpu_mean']:.2f} / {r['cpu_peak']:.2f}",
        ),
        (
            "server memory: start / after warm-up / plateau / peak",
            lambda r: (
                f"{r['mem_start']:.0f} / {r['mem_warm']:.0f} / {r['mem_plateau']:.0f} / "
                f"{r['mem_peak']:.0f} MB"
            ),
        ),
        ("memory per session: (plateau − after warm-up) / N", lambda r: f"{r['per_session']:.1f} MB"),
        (
            "all N sessions opening at once: seconds until the last is drawn",
            lambda r: f"{r['first_open_s']:.1f} s",
        ),
        ("load driver's own CPU (cores, same machine)", lambda r: f"{r['driver_cpu']:.2f}"),
        ("received by the clients", lambda r: f"{r['bytes'] / 1e6:.0f} MB"),
    ]
    for name, show in lines:
        print(f"| {name} | " + " | ".join(show(row) for row in rows) + " |")
    for row in rows:
        print(
            f"N = {row['sessions']}: warm-up {row['warm_seconds']:.0f} s over {', '.join(row['walk'])}; "
            f"{row['stops']} lecturer steps in {row['run_seconds']:.0f} s, last {row['last']}; "
            f"{row['not_on_lecture_page']} students not on the lecturer's page after opening"
        )
        if len(row.get("cpu_by_process", [])) > 1:
            print(f"  server CPU seconds by process (warm-up included): {row['cpu_by_process']}")
        for line in row["error_lines"]:
            print(f"  error: {line}")
        for line in row["misread"][:5]:
            print(f"  message this client could not read: {line}")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, {model}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"


async def measure(sessions: int, args) -> dict:
    """One run at ``sessions`` students, against a fresh server (or ``--url``)."""
    server = None
    if args.url:
        base_url, pids = args.url, args.pids
    else:
        port = _free_port()
        server = start_server(
            port, args.threads, ROOT / f"bench_load_server_n{sessions}_t{args.threads or 'app'}.log"
        )
        base_url, pids = f"http://127.0.0.1:{port}", [server.pid]
    try:
        wait_for_health(base_url, server)
        sampler = Sampler(pids)
        start_mb = sampler.rss_now() if pids else float("nan")
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop))
        driver_before = time.process_time()
        wall_before = time.monotonic()
        cpu_before = [cpu_seconds(pid) for pid in pids]
        figures = await classroom(base_url, sessions, args, sampler)
        driver_cpu = (time.process_time() - driver_before) / (time.monotonic() - wall_before)
        stop.set()
        await sampling
        row = summary(sessions, figures, sampler, start_mb, driver_cpu)
        row["cpu_by_process"] = [round(cpu_seconds(pid) - before) for pid, before in zip(pids, cpu_before)]
        return row
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)


async def measure_cost(args) -> dict:
    """Server CPU seconds per script run of each kind, one tab at a time on a fresh server: a room poll,
    a scene open (the lecture's pages in turn), a widget move. CPU time, not wall time: a busy machine
    delays the runs but hardly changes what each one costs."""
    port = _free_port()
    server = start_server(port, args.threads, ROOT / f"bench_load_cost_t{args.threads or 'app'}.log")
    base_url = f"http://127.0.0.1:{port}"
    room, rng = f"cost{os.getpid()}", random.Random(args.seed)
    costs: dict[str, list[float]] = {"poll": [], "open": [], "move": []}
    try:
        wait_for_health(base_url, server)
        walk = list(dict.fromkeys(_walk(args.start, args.seconds / args.step_seconds + 1)))
        teacher, tab = (
            StreamlitClient(base_url, timeout_s=args.timeout),
            StreamlitClient(base_url, timeout_s=args.timeout),
        )
        await teacher.connect()
        await tab.connect()
        for page in walk:  # the rehearsal: imports and first computations are not what a class pays
            await tab.open(page, "step=1")
        await teacher.open(args.start, urlencode({"presenter": 1, "room": room, "step": 1}))
        teacher.polling = False
        await tab.open("", f"follow={room}")
        tab.polling = False
        await _quiet(server.pid)  # the warm-up thread has finished importing the scenes

        async def timed(kind: str, action) -> None:
            before = cpu_seconds(server.pid)
            result = await action()
            if result.status == "ok":
                costs[kind].append(cpu_seconds(server.pid) - before)

        for k in range(args.repeats):
            page = walk[k % len(walk)]
            await timed("open", lambda page=page: tab.open(page, "step=1"))
            shown = [w for w in tab.widgets.values() if not w.hidden and not w.label.startswith("Your vote")]
            if shown:
                widget = rng.choice(shown)
                await timed("move", lambda widget=widget: tab.move(widget, another_value(widget, rng)))
        await tab.open("", f"follow={room}")
        tab.polls.clear()
        before = cpu_seconds(server.pid)
        tab.polling = True
        polling_until = time.monotonic() + 120
        while len(tab.polls) < 4 * args.repeats and time.monotonic() < polling_until:
            await asyncio.sleep(0.5)
        tab.polling = False
        await asyncio.sleep(1.0)  # the last poll's run ends
        polls = [poll for poll in tab.polls if poll.status == "ok"]
        costs["poll"] = [(cpu_seconds(server.pid) - before) / max(1, len(tab.polls))] * len(polls)
        await teacher.close()
        await tab.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return costs


async def _quiet(pid: int, timeout_s: float = 180.0) -> None:
    """Until the process uses under 3 % of a core over a second (or ``timeout_s`` passed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        if cpu_seconds(pid) - before < 0.03:
            return


def print_cost(costs: dict[str, list[float]], args) -> None:
    """The cost of each kind of run, and the cores a classroom of N would keep busy."""
    mean = {kind: statistics.mean(values) if values else float("nan") for kind, values in costs.items()}
    threads = args.threads or "app"
    print(f"\nbench_load --cost: server CPU seconds per run, one tab at a time, server threads {threads}")
    print("| run | count | CPU seconds: mean / median |")
    print("|---|---|---|")
    for kind, values in costs.items():
        median = statistics.median(values) if values else float("nan")
        print(f"| {kind} | {len(values)} | {mean[kind]:.4f} / {median:.4f} |")
    per_student = 2 * mean["poll"] + mean["move"] / args.move_seconds + mean["open"] / args.step_seconds
    print(
        f"Per student: 2 polls/s × {mean['poll']:.4f} + a move every {args.move_seconds:.0f} s × "
        f"{mean['move']:.3f} + an open every {args.step_seconds:.0f} s × {mean['open']:.3f} = "
        f"{per_student:.3f} cores busy"
    )
    print(
        "N for which the server alone keeps 2 cores busy: "
        f"{2 / per_student:.0f} (one Python process: about 1 core, {1 / per_student:.0f} students)"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions", type=int, nargs="+", default=[30, 60, 100], help="students, one run each"
    )
    parser.add_argument("--seconds", type=float, default=180, help="length of each run after the warm-up")
    parser.add_argument(
        "--threads", type=int, default=None, help="OMP_NUM_THREADS for the server (default: the app's)"
    )
    parser.add_argument("--start", default="p07_noise_injection", help="the page the lecture starts at")
    parser.add_argument(
        "--step-seconds", type=float, default=20.0, help="the lecturer clicks Next this often"
    )
    parser.add_argument(
        "--move-seconds", type=float, default=15.0, help="each student moves a widget this often"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="a run longer than this is an error")
    parser.add_argument(
        "--direct", dest="follow", action="store_false", help="students open the lecturer's page themselves"
    )
    parser.add_argument(
        "--cost", action="store_true", help="server CPU seconds per poll, scene open and widget move, one tab"
    )
    parser.add_argument("--repeats", type=int, default=30, help="with --cost: runs of each kind")
    parser.add_argument("--seed", type=int, default=0, help="seeds the students' choices")
    parser.add_argument("--url", default=None, help="drive this server (or proxy) instead of starting one")
    parser.add_argument(
        "--pids", type=int, nargs="*", default=[], help="with --url: server processes to sample"
    )
    parser.add_argument(
        "--warm-urls",
        nargs="*",
        default=[],
        help="with --url behind a proxy: each replica's own address, each warmed up first",
    )
    args = parser.parse_args()
    if min(args.sessions) < 1 or args.seconds <= 0 or args.step_seconds <= 0 or args.move_seconds <= 0:
        parser.exit(2, "--sessions, --seconds, --step-seconds and --move-seconds must be positive.\n")
    if args.url and urlsplit(args.url).scheme not in ("http", "https"):
        parser.exit(2, f"--url must start with http:// or https://, got {args.url!r}.\n")
    sys.path.insert(0, str(ROOT))
    before = machine()
    if args.cost:
        print_cost(asyncio.run(measure_cost(args)), args)
        print(f"machine before: {before}; after: {machine()}")
        return
    rows = []
    for sessions in args.sessions:
        row = asyncio.run(measure(sessions, args))
        rows.append(row)
        print_table([row], f"N = {sessions} done; {machine()}")
    print_table(
        rows,
        f"bench_load — 1 lecturer (Next every {args.step_seconds:.0f} s from {args.start}) and N students "
        f"{'following its room' if args.follow else 'opening its page'} (a widget every "
        f"{args.move_seconds:.0f} s), {args.seconds:.0f} s per N, server threads "
        f"{args.threads or 'the app default'}, {args.url or 'a fresh server per N on 127.0.0.1'}\n"
        f"machine before: {before}; after: {machine()}",
    )


if __name__ == "__main__":
    main()
