"""A classroom on one laptop: one real `streamlit run app.py`, many browser sessions at once.

    python -m bench.bench_load [--sessions 20] [--seconds 120] [--seeds 3]

Starts the server on a free loopback port, then drives ``--sessions`` headless-Chromium sessions
(Playwright, one browser, one context per student) for ``--seconds``: each session opens scenes in
turn by URL (``?seed=`` among ``--seeds`` values, so students share some demos and not others),
waits until the app's script run is over, then moves the page's first slider with the keyboard and
waits again. Reports the page-ready latency (median, p95), the interactions, the exceptions shown,
and the server's resident memory: at start, after the first round, peak, and at the end (growth per
session would show as a climb). Only 127.0.0.1 is contacted; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
READY_TIMEOUT_S = 180


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


async def wait_ready(page, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Until the page's title is drawn and its script run is over and has stayed over for 0.3 s (a page
    may rerun itself; before the first run starts the app already reads "notRunning")."""
    deadline = time.monotonic() + timeout_s
    await page.wait_for_selector("h1", timeout=timeout_s * 1000)
    still = None
    while time.monotonic() < deadline:
        state = await page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
        if state == "notRunning":
            still = still or time.monotonic()
            if time.monotonic() - still >= 0.3:
                return
        else:
            still = None
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not ready after {timeout_s:.0f} s")


async def student(browser, port, paths, seeds, until, number, record):
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    rng = random.Random(number)
    order = paths[number % len(paths) :] + paths[: number % len(paths)]
    try:
        while time.monotonic() < until:
            for path in order:
                if time.monotonic() >= until:
                    break
                url = f"http://127.0.0.1:{port}/{path}?seed={rng.randrange(seeds)}"
                started = time.monotonic()
                try:
                    await page.goto(url, wait_until="domcontentloaded", timeout=READY_TIMEOUT_S * 1000)
                    await wait_ready(page)
                    record["ready"].append(time.monotonic() - started)
                    slider = page.locator(
                        '[data-testid="stSlider"] input[type="range"]'
                    ).first  # react-aria's thumb input
                    try:
                        await slider.wait_for(timeout=5_000)
                    except Exception:  # noqa: BLE001 — a page without a slider
                        pass
                    if await slider.count():
                        await slider.focus()
                        started = time.monotonic()
                        await slider.press("ArrowRight")
                        await asyncio.sleep(0.15)  # the widget's debounce before the rerun starts
                        await wait_ready(page)
                        record["interaction"].append(time.monotonic() - started)
                    record["exceptions"] += await page.locator('[data-testid="stException"]').count()
                except Exception as error:  # noqa: BLE001 — counted, the session goes on
                    record["errors"].append(f"{path}: {type(error).__name__}: {str(error)[:100]}")
    finally:
        await context.close()


async def run(sessions: int, seconds: float, seeds: int, threads: int | None) -> None:
    from playwright.async_api import async_playwright

    sys.path.insert(0, str(ROOT))
    from core.scenes.registry import SCENES
    from tests.browser.test_browser import _free_port, _wait_for_health

    port = _free_port()
    log = open(ROOT / "bench_load_server.log", "w")
    server = subprocess.Popen(
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
        env={**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})},
    )
    record = {"ready": [], "interaction": [], "exceptions": 0, "errors": []}
    memory = []
    try:
        _wait_for_health(port, server)
        memory.append(("start", *rss_mb(server.pid)))
        cpu_start, wall_start = cpu_seconds(server.pid), time.monotonic()
        paths = [scene.url_path for scene in SCENES]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            until = time.monotonic() + seconds

            async def sample_memory():
                while time.monotonic() < until + READY_TIMEOUT_S:
                    memory.append(("run", *rss_mb(server.pid)))
                    await asyncio.sleep(2)

            sampler = asyncio.create_task(sample_memory())
            await asyncio.gather(
                *(student(browser, port, paths, seeds, until, k, record) for k in range(sessions))
            )
            sampler.cancel()
            await browser.close()
        memory.append(("end", *rss_mb(server.pid)))
        server_cpu, wall = cpu_seconds(server.pid) - cpu_start, time.monotonic() - wall_start
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    ready, interaction = sorted(record["ready"]), sorted(record["interaction"])

    def p95(values):
        return values[min(len(values) - 1, int(0.95 * len(values)))] if values else float("nan")

    rss = [m[1] for m in memory]
    third = max(1, len(rss) // 3)
    print(
        f"\nbench_load — {sessions} sessions for {seconds:.0f} s, seeds 0…{seeds - 1}, server on 127.0.0.1, "
        f"server threads {threads or 'torch default'}"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| pages made ready | {len(ready)} |")
    print(
        f"| page ready: median / p95 / worst | {statistics.median(ready) if ready else float('nan'):.2f} / "
        f"{p95(ready):.2f} / {max(ready, default=float('nan')):.2f} s |"
    )
    print(f"| slider moves | {len(interaction)} |")
    print(
        f"| slider move → ready: median / p95 | {statistics.median(interaction) if interaction else float('nan'):.2f} / "
        f"{p95(interaction):.2f} s |"
    )
    print(f"| exceptions shown | {record['exceptions']} |")
    print(f"| session errors (timeouts, crashes) | {len(record['errors'])} |")
    print(
        f"| server memory: start / mean of first third / mean of last third / peak | {rss[0]:.0f} / "
        f"{statistics.mean(rss[:third]):.0f} / {statistics.mean(rss[-third:]):.0f} / "
        f"{max(m[2] for m in memory):.0f} MB |"
    )
    print(
        f"| server CPU: seconds used / wall seconds (2 cores = 2.0 at most; the browsers use the rest) | "
        f"{server_cpu:.0f} / {wall:.0f} s = {server_cpu / wall:.2f} |"
    )
    for error in record["errors"][:10]:
        print(f"error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument(
        "--seeds", type=int, default=1, help="URL seeds used (1: everyone at the lecture's link)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="OMP_NUM_THREADS for the server (default: torch's)"
    )
    args = parser.parse_args()
    if args.sessions < 1 or args.seconds <= 0 or args.seeds < 1:
        parser.exit(2, "--sessions, --seconds and --seeds must be positive.\n")
    if not Path(CHROMIUM).exists():
        parser.exit(2, f"Debian chromium is needed at {CHROMIUM}: apt-get install chromium.\n")
    asyncio.run(run(args.sessions, args.seconds, args.seeds, args.threads))


if __name__ == "__main__":
    main()
