"""How fast each scene answers, against issue 9's budgets.

    python -m bench.bench_pages [--pages p01_erm_playground p09_certificate] [--widgets 4] [--no-server]

For each page, in a fresh Python process (Streamlit's AppTest runs app.py, the router, the page):
  1. home: the app's first run on the default page (imports included);
  2. first visit: switch to the page once the server's warm-up (ui.warmup) has finished, as in a
     running server where the lecturer opened the home page first;
  3. rerun: the same page again (Streamlit reruns the script on every interaction);
  4. widget moves: each of the page's first main widgets (sliders, select boxes, number inputs,
     radios; not the seed or presenter toggle) set to a neighbouring value, one at a time.
Then (unless --no-server, and when Debian's chromium is there) a real `streamlit run app.py` and
headless Chromium: the seconds from launching the server to the home page drawn; and a room (ui.room)
with the projector, the speaker console and one follower: PageDown on the projector → each window
showing the new step, median and worst over a walk of --follow-steps steps from the home page.

Prints one table, the budgets beside the measures, and the machine. Nothing here asserts: the speed
goals live in this benchmark, never in the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
BUDGETS = {
    "home_server_s": 4.0,  # a fresh server: the home page drawn within 4 s, a deep link within 6 s
    "deep_link_server_s": 6.0,
    "first_median_s": 2.0,
    "first_worst_s": 5.0,
    "widget_median_s": 0.3,
    "widget_worst_s": 1.0,
}
SKIPPED_KEYS = {"seed", "presenter_mode"}


def _neighbour(widget):
    """A number next to a slider's or number input's current one (None for a range slider)."""
    value = widget.value
    if isinstance(value, (tuple, list)):
        return None
    step = widget.step or 1
    up = value + step
    candidate = up if widget.max is None or up <= widget.max else value - step
    return round(float(candidate), 10) if isinstance(value, float) else int(candidate)


def _widgets(at, limit):
    found = []
    for group in (at.slider, at.select_slider, at.selectbox, at.number_input, at.radio):
        for widget in group:
            if widget.key in SKIPPED_KEYS or widget.disabled:
                continue
            found.append(widget)
    return found[:limit]


def _set(widget):
    """Move ``widget`` to a neighbouring value; returns a description or None."""
    kind = type(widget).__name__
    if kind == "Selectbox" or kind == "Radio":
        options = list(widget.options)
        if len(options) < 2:
            return None
        index = (widget.index or 0) + 1
        widget.set_value(widget.options[index % len(options)]) if kind == "Radio" else widget.select_index(
            index % len(options)
        )
        return f"{widget.key or widget.label}: option {index % len(options)}"
    if kind == "SelectSlider":
        options = list(widget.options)
        if len(options) < 2:
            return None
        current = (
            options.index(widget.format_func(widget.value))
            if widget.format_func(widget.value) in options
            else 0
        )
        target = (current + 1) % len(options)
        # set_value takes a raw option value; the AppTest proto only keeps the labels, so pick by label.
        widget.set_value(_raw_option(widget, target))
        return f"{widget.key or widget.label}: {options[target]}"
    value = _neighbour(widget)
    if value is None:
        return None
    widget.set_value(value)
    return f"{widget.key or widget.label}: {value}"


def _raw_option(widget, index):
    label = list(widget.options)[index]
    try:
        return json.loads(label)  # numbers shown as themselves
    except ValueError:
        return label


def measure_page(url_path: str, widget_limit: int) -> dict:
    """Runs in a fresh process: the page's timings (seconds)."""
    from streamlit.testing.v1 import AppTest

    from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, SCENES
    from ui import warmup

    page = {s.url_path: s.page for s in SCENES} | {"": HOME_PAGE, "references": REFERENCES_PAGE}
    at = AppTest.from_file(APP, default_timeout=900)
    started = time.perf_counter()
    at.run()
    home = time.perf_counter() - started
    warmup.wait(600)
    at.switch_page(page[url_path])
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    errors = [str(e.value)[:120] for e in at.exception]
    started = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - started
    moves = []
    for widget in _widgets(at, widget_limit):
        try:
            what = _set(widget)
        except Exception as error:  # noqa: BLE001 — a widget the bench cannot drive is reported, not fatal
            moves.append(
                {"widget": f"{widget.key or widget.label}: not driven ({type(error).__name__})", "s": None}
            )
            continue
        if what is None:
            continue
        started = time.perf_counter()
        at.run()
        moves.append({"widget": what, "s": time.perf_counter() - started})
        errors += [str(e.value)[:120] for e in at.exception]
    return {
        "page": url_path or "home",
        "home_s": home,
        "first_s": first,
        "rerun_s": rerun,
        "moves": moves,
        "errors": errors,
    }


def measure_server(url_path: str = "") -> tuple[float, float] | None:
    """Seconds from `streamlit run app.py` to ``url_path`` (the home page by default) opened first on that
    fresh server in headless Chromium: its title drawn, and its script run over (every figure sent); None
    without Chromium."""
    if not Path("/usr/bin/chromium").exists():
        return None
    sys.path.insert(0, str(ROOT))
    from tests.browser.test_browser import _browser_page, _free_port

    port = _free_port()
    with _browser_page() as page:  # the browser is up before the clock starts
        started = time.perf_counter()
        with _app_server(port):
            page.goto(f"http://127.0.0.1:{port}/{url_path}", wait_until="domcontentloaded")
            page.wait_for_selector("h1", timeout=120_000)  # the page's title drawn
            title = time.perf_counter() - started
            page.wait_for_selector(SCRIPT_OVER, timeout=120_000)
            return title, time.perf_counter() - started


@contextlib.contextmanager
def _app_server(port: int):
    """`streamlit run app.py` on 127.0.0.1:port, as the README's run command (the app's own threads), up
    and healthy inside the block, stopped after it."""
    from tests.browser.test_browser import running_app

    options = ["--browser.gatherUsageStats", "false"]
    # the app's own threads (no OMP_NUM_THREADS set for it); a server still finishing a warm-up step is
    # killed after 20 s: a timing taken stands
    with running_app(port, options, stdout=subprocess.DEVNULL, stop_s=20, env=dict(os.environ)) as server:
        yield server


SCRIPT_OVER = '[data-testid="stApp"][data-test-script-state="notRunning"]'
DEEP_LINK = "p09_certificate"  # the heaviest first page a shared link can open
FOLLOW_BUDGETS = {"follower_median_s": 1.0, "follower_worst_s": 2.0}
STEP_LIMIT_S = 60  # a window that has not shown a step by then counts as missed
# What a window shows: its title, the step bar's counter and the console's counter (bold text).
SHOWN = """() => [document.querySelector("h1")?.innerText.trim() ?? "",
  document.querySelector(".st-key-lecture_bar [data-testid='stMarkdownContainer'] strong")?.innerText
    ?? "",
  document.querySelector(".st-key-console_now [data-testid='stMarkdownContainer'] strong")?.innerText
    ?? ""]"""


def measure_follow(steps: int = 8) -> dict | None:
    """A real server and three Chromium windows on one room (ui.room): the projector
    (``/?presenter=1&room=…``), the speaker console and one follower. PageDown on the projector,
    ``steps`` times from the home page: seconds until the projector, the follower and the console show
    the new step (None without chromium)."""
    if not Path("/usr/bin/chromium").exists():
        return None
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from core.scenes import lecture as plan
    from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port

    port = _free_port()
    timings = {"projector": [], "follower": [], "console": []}
    with _app_server(port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        windows = []
        for _ in range(3):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.set_default_timeout(600_000)
            windows.append(context.new_page())
        projector, console, follower = windows
        named = {"projector": projector, "follower": follower, "console": console}
        base = f"http://127.0.0.1:{port}"
        projector.goto(f"{base}/?presenter=1&room=bench", wait_until="domcontentloaded")
        projector.wait_for_selector(".lecture-follow")
        console.goto(f"{base}/console?room=bench", wait_until="domcontentloaded")
        follower.goto(f"{base}/?follow=bench", wait_until="domcontentloaded")
        for window, selector in ((console, ".st-key-console_now"), (follower, ".st-key-lecture_bar")):
            window.wait_for_selector(selector)
        stop = (plan.pages()[0], 1)
        for _ in range(steps):
            stop = plan.next_stop(*stop)
            if stop is None:
                break
            title, count = plan.title_of(stop[0]), len(plan.steps_of(stop[0]))
            counter = f"step {stop[1]} / {count}"
            projector.locator(".st-key-lecture_bar").click()  # the lecturer's last click: not a widget
            started = time.perf_counter()
            projector.keyboard.press("PageDown")
            seen = {}
            while len(seen) < 3 and time.perf_counter() - started < STEP_LIMIT_S:
                for name, window in named.items():
                    if name in seen:
                        continue
                    try:
                        h1, bar, console_bar = window.evaluate(SHOWN)
                    except Exception:  # noqa: BLE001 — the window is switching pages
                        continue
                    shown = (
                        console_bar == f"{title} · {counter}"
                        if name == "console"
                        else (h1 == title and bar == counter)
                    )
                    if shown:
                        seen[name] = time.perf_counter() - started
                time.sleep(0.02)
            for name in timings:
                timings[name].append(seen.get(name))
            print(f"  PageDown → {stop}: {seen}", file=sys.stderr, flush=True)
        if os.environ.get("BENCH_SHOTS"):  # what each window shows at the end of the walk
            for name, window in named.items():
                window.screenshot(path=f"{os.environ['BENCH_SHOTS']}/{name}.png")
        browser.close()
    return timings


def machine() -> str:
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (
        f"{os.cpu_count()} cores, {model}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{'CUDA' if torch.cuda.is_available() else 'no GPU'}"
    )


def main() -> None:
    from core.scenes.registry import SCENES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="*", default=None, help="URL paths (default: every scene)")
    parser.add_argument("--widgets", type=int, default=4, help="main widgets moved per page")
    parser.add_argument("--no-server", action="store_true", help="skip the real-server home-page measure")
    parser.add_argument(
        "--follow-steps", type=int, default=8, help="PageDowns walked with a console and a follower (0: none)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(measure_page(args.worker, args.widgets)))
        return
    pages = args.pages or [scene.url_path for scene in SCENES]
    rows = []
    for url_path in pages:
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_pages", "--worker", url_path, "--widgets", str(args.widgets)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"{url_path}: the worker failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        row = rows[-1]
        print(f"  measured {row['page']}: first {row['first_s']:.2f} s", file=sys.stderr)

    print(f"\nbench_pages — {machine()}\n")
    print("| page | first visit (s) | rerun (s) | widget moves: median / worst (s) | widgets | errors |")
    print("|---|---|---|---|---|---|")
    all_moves = []
    for row in rows:
        moves = [m["s"] for m in row["moves"] if m["s"] is not None]
        all_moves += moves
        spread = f"{statistics.median(moves):.2f} / {max(moves):.2f}" if moves else "—"
        print(
            f"| {row['page']} | {row['first_s']:.2f} | {row['rerun_s']:.2f} | {spread} | {len(moves)} | "
            f"{len(row['errors'])} |"
        )
    firsts = [row["first_s"] for row in rows]
    print()
    print("| measure | ours | budget |")
    print("|---|---|---|")
    if rows:
        print(
            f"| home, first run in a fresh process (AppTest, imports included) | "
            f"{statistics.median(row['home_s'] for row in rows):.2f} s | — |"
        )
        print(
            f"| first visit, median over pages | {statistics.median(firsts):.2f} s "
            f"| ≤ {BUDGETS['first_median_s']} s |"
        )
        print(f"| first visit, worst page | {max(firsts):.2f} s | ≤ {BUDGETS['first_worst_s']} s |")
    if all_moves:
        print(
            f"| widget move, median | {statistics.median(all_moves):.3f} s "
            f"| ≤ {BUDGETS['widget_median_s']} s |"
        )
        print(f"| widget move, worst | {max(all_moves):.3f} s | ≤ {BUDGETS['widget_worst_s']} s |")
    if not args.no_server:
        for url_path, what, budget in (
            ("", "home page", BUDGETS["home_server_s"]),
            (DEEP_LINK, f"a link to {DEEP_LINK}", BUDGETS["deep_link_server_s"]),
        ):
            server = measure_server(url_path)
            shown = "no chromium here" if server is None else f"{server[0]:.1f} s / {server[1]:.1f} s"
            print(
                f"| `streamlit run` → {what}: title drawn / script over (headless Chromium) | {shown} | "
                f"≤ {budget} s |"
            )
    if not args.no_server and args.follow_steps > 0:
        follow = measure_follow(args.follow_steps)
        labels = {"follower": "the follower", "console": "the console", "projector": "itself"}
        for name, label in labels.items():
            if follow is None:
                print(f"| PageDown on the projector → {label} updated | no chromium here | — |")
                continue
            done = [s for s in follow[name] if s is not None]
            shown = f"{statistics.median(done):.2f} / {max(done):.2f} s" if done else "never"
            missed = len(follow[name]) - len(done)
            budget = (
                f"≤ {FOLLOW_BUDGETS['follower_median_s']} / {FOLLOW_BUDGETS['follower_worst_s']} s"
                if name == "follower"
                else "—"
            )
            print(
                f"| PageDown on the projector → {label} updated, median / worst over "
                f"{len(follow[name])} steps{f' ({missed} missed)' if missed else ''} | {shown} | {budget} |"
            )
    for row in rows:
        for error in row["errors"]:
            print(f"error on {row['page']}: {error}")
        for move in row["moves"]:
            print(
                f"  {row['page']}: {move['widget']} → " + ("—" if move["s"] is None else f"{move['s']:.3f} s")
            )


if __name__ == "__main__":
    main()
