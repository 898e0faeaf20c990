"""How long a page takes to answer a new seed (issue 24), and where that time goes.

    python -m bench.bench_seeds [--pages p07_noise_injection p11_take_home] [--seeds 1 10] [--repeats 3]

For each page, seed and repeat, in a fresh Python process (nothing cached from an earlier run: no
st.cache_data entry, no toy network trained in memory), Streamlit's AppTest runs app.py, waits for the
server's warm-up (ui.warmup), switches to the page at seed 0, then sets the sidebar's seed widget
(key "seed") to the new seed and times that rerun. While it reruns, the worker records:
  * every toy network trained (core.toys.train: spec, seconds) — a spec not shipped in assets/toys/;
  * every scene computation that ran (ui.frame.compute, cache misses: scene function, seconds,
    toy trainings inside included, and the bytes its result would take in a shipped scene file, as
    core.scenes.shipped.encode writes it, or, for a result the kit ships in parts, the bytes of the parts
    computed live inside it: what shipping that seed's results would add to assets/scenes).

Prints the median rerun per page for each seed side by side (by default a seed whose toys are shipped, 1,
beside one whose toys are not, 10: the same run, the same load) and their ratio, then the median seconds of
the trainings and computations behind each.
Nothing here asserts: the goal (a seed change ≤ 1 s) lives in this benchmark, never in the tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DEFAULT_PAGES = (
    "p02_composition",
    "p06_adversarial_training",
    "p07_noise_injection",
    "p08_decision_distribution",
    "p10_tradeoff",
    "p11_take_home",
)
GOAL_S = 1.0
WORTH_SHIPPING_S = 0.25  # a result computed faster than this is left to compute, not shipped


def _spec_label(spec) -> str:
    """The fields that tell the scenes' toy specs apart (defaults left out)."""
    from core import toys

    default = toys.ToySpec()
    fields = {
        name: getattr(spec, name)
        for name in spec.__dataclass_fields__
        if getattr(spec, name) != getattr(default, name) and name != "seed"
    }
    shown = ", ".join(f"{k}={v}" for k, v in fields.items()) or "defaults"
    return f"seed {spec.seed}: {shown}"


def measure(url_path: str, seed: int, threads: int | None) -> dict:
    """Runs in a fresh process: the seconds of the rerun at ``seed`` and what ran inside it."""
    import streamlit as st
    import torch

    if threads:
        torch.set_num_threads(threads)
    from streamlit.testing.v1 import AppTest

    from core import toys
    from core.scenes import shipped
    from core.scenes.registry import SCENES
    from ui import frame, warmup

    trainings: list[dict] = []
    computations: list[dict] = []
    recording = {"on": False}

    original_train = toys.train

    def timed_train(spec, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_train(spec, *args, **kwargs)
        finally:
            if recording["on"]:
                trainings.append({"spec": _spec_label(spec), "s": time.perf_counter() - started})

    toys.train = timed_train  # core.toys.model calls the module's train: every training passes here

    # Results a scene computes through the scene kit (core.scenes.shipped.or_live) because none is shipped
    # for these arguments: the bytes each would add to its shipped scene file.
    kit_bytes: list[int] = []

    def sized_or_live(live, arguments: dict, *, depends=()):
        """or_live as a page calls it (the shipped result, else ``live``), sizing what is computed live."""
        caller = sys._getframe(1)  # the scene's public function, as or_live itself reads it
        module, name = caller.f_globals["__name__"], caller.f_code.co_name
        found = shipped.read(module, name, arguments, depends)
        if found is not None:
            return found
        result = live(**arguments)
        if recording["on"]:
            record = {"depends": shipped.stamp(depends), "result": shipped.encode(result)}
            kit_bytes.append(len(json.dumps(record)) + len(shipped.call_key(name, arguments) or ""))
        return result

    shipped.or_live = sized_or_live  # the scene modules call shipped.or_live through the module

    # The page's cached call (ui.frame._compute) with a timed body: st.cache_data runs it on a miss only.
    @st.cache_data(show_spinner=False, max_entries=512)
    def timed_compute(target: str, arguments: tuple, assets: tuple):
        started = time.perf_counter()
        kit_bytes.clear()
        module, name = target.split(":")
        result = getattr(importlib.import_module(module), name)(**dict(arguments))
        if recording["on"]:
            seconds = time.perf_counter() - started
            size = _shipped_bytes(result)
            if size is None and kit_bytes:  # a result the kit ships in parts: the parts computed here
                size = sum(kit_bytes)
            computations.append({"function": name, "s": seconds, "bytes": size})
        return result

    frame._compute = timed_compute
    page = {s.url_path: s.page for s in SCENES}[url_path]
    at = AppTest.from_file(APP, default_timeout=900)
    at.run()
    warmup.wait(600)
    at.switch_page(page)
    started = time.perf_counter()
    at.run()
    opening = time.perf_counter() - started
    errors = [str(e.value)[:160] for e in at.exception]
    at.number_input(key="seed").set_value(seed)
    recording["on"] = True
    started = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - started
    recording["on"] = False
    errors += [str(e.value)[:160] for e in at.exception]
    return {
        "page": url_path,
        "seed": seed,
        "opening_s": opening,
        "rerun_s": rerun,
        "trainings": trainings,
        "computations": computations,
        "errors": errors,
    }


def _shipped_bytes(result) -> int | None:
    """Bytes of ``result`` as JSON in a shipped scene file (core.scenes.shipped.encode); None for a result
    the kit cannot encode."""
    from core.scenes import shipped

    try:
        return len(json.dumps(shipped.encode(result)))
    except (TypeError, ValueError):
        return None


def machine() -> str:
    """bench_pages' machine line and the load average: seeds are timed on a machine others may share."""
    import os

    from bench.bench_pages import machine as machine_line

    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{machine_line()}; load average (1/5/15 min) {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="*", default=list(DEFAULT_PAGES), help="URL paths")
    parser.add_argument(
        "--seeds",
        nargs="*",
        type=int,
        default=[1, 10],
        help="seeds moved to from 0, shown side by side (default: 1, shipped; 10, not)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per page and seed")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads in the workers (default: the app's, ui.warmup.THREADS, as a server)",
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(measure(args.worker[0], int(args.worker[1]), args.threads)))
        return
    print(f"bench_seeds — at the start: {machine()}", file=sys.stderr)
    runs: dict[tuple[str, int], list[dict]] = {}
    for repeat in range(args.repeats):  # pages and seeds take turns: a drifting load weighs on all alike
        for url_path in args.pages:
            for seed in args.seeds:
                command = [sys.executable, "-m", "bench.bench_seeds", "--worker", url_path, str(seed)]
                if args.threads:
                    command += ["--threads", str(args.threads)]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                if done.returncode != 0:
                    print(
                        f"{url_path} seed {seed}: the worker failed: {done.stderr.strip().splitlines()[-3:]}",
                        file=sys.stderr,
                    )
                    continue
                row = json.loads(done.stdout.strip().splitlines()[-1])
                runs.setdefault((url_path, seed), []).append(row)
                print(
                    f"  [{repeat + 1}/{args.repeats}] {url_path} 0 → {seed}: {row['rerun_s']:.2f} s",
                    file=sys.stderr,
                )

    threads = (
        f"{args.threads} torch thread(s) in the workers"
        if args.threads
        else "the app's torch threads in the workers (ui.warmup.THREADS, unless OMP_NUM_THREADS is set)"
    )
    print(f"\nbench_seeds — {machine()}; {threads}")
    print(
        f"Seed 0 → s in the sidebar (AppTest, fresh process each, after the warm-up): median of "
        f"{args.repeats} reruns (all of them in brackets); goal ≤ {GOAL_S:g} s. 'toys shipped': the "
        "networks the page opens with at s are in assets/toys (none trained).\n"
    )
    first, last = args.seeds[0], args.seeds[-1]
    ratio = len(args.seeds) > 1
    print(
        "| page | "
        + " | ".join(f"0 → {s} (s)" for s in args.seeds)
        + (f" | {first} / {last} |" if ratio else " |")
    )
    print("|---|" + "---|" * (len(args.seeds) + ratio))
    for url_path in args.pages:
        cells, medians = [], {}
        for seed in args.seeds:
            times = [r["rerun_s"] for r in runs.get((url_path, seed), [])]
            if times:
                medians[seed] = statistics.median(times)
            cells.append(
                f"{medians[seed]:.2f} ({', '.join(f'{t:.2f}' for t in times)}), toys "
                f"{_shipped_state(url_path, seed)}"
                if times
                else "—"
            )
        if ratio:
            cells.append(
                f"{medians[first] / medians[last]:.2f}" if first in medians and last in medians else "—"
            )
        print(f"| {url_path} | " + " | ".join(cells) + " |")
    print(
        "\nWhat ran in those reruns: medians over the repeats (toy trainings are inside the computations "
        "that asked for them):"
    )
    for url_path in args.pages:
        for seed in args.seeds:
            rows = runs.get((url_path, seed))
            if not rows:
                continue
            trained = statistics.median(sum(t["s"] for t in row["trainings"]) for row in rows)
            print(
                f"\n{url_path}, 0 → {seed}: rerun {statistics.median(r['rerun_s'] for r in rows):.2f} s; "
                f"{len(rows[0]['trainings'])} toy network(s) trained, {trained:.2f} s"
            )
            trainings: dict[str, list[float]] = {}
            computations: dict[str, list[float]] = {}
            sizes: dict[str, int | None] = {}
            for row in rows:
                for t in row["trainings"]:
                    trainings.setdefault(t["spec"], []).append(t["s"])
                for c in row["computations"]:
                    computations.setdefault(c["function"], []).append(c["s"])
                    sizes[c["function"]] = c.get("bytes")
            for spec, times in trainings.items():
                print(f"    trained  {statistics.median(times):6.2f} s  {spec}")
            for function, times in sorted(computations.items(), key=lambda item: -statistics.median(item[1])):
                size = sizes[function]
                shown = "      —" if size is None else f"{size / 1000:7.1f}"
                print(
                    f"    computed {statistics.median(times):6.2f} s {shown} KB as shipped JSON  {function}"
                )
            slow = [
                sizes[function]
                for function, times in computations.items()
                if statistics.median(times) >= WORTH_SHIPPING_S and sizes[function] is not None
            ]
            if slow:
                print(
                    f"    shipping the {len(slow)} result(s) of ≥ {WORTH_SHIPPING_S:g} s at seed {seed}: "
                    f"{sum(slow) / 1000:.1f} KB as JSON"
                )
            for error in {e for row in rows for e in row["errors"]}:
                print(f"    error: {error}")


def _shipped_state(url_path: str, seed: int) -> str:
    """Whether the toy networks the page opens with at ``seed`` are shipped: "shipped", "not shipped",
    "partly"."""
    from core import toys
    from core.scenes.registry import scene

    opening = getattr(importlib.import_module(scene(url_path).module), "opening_toys", None)
    if opening is None:
        return "?"
    present = [toys.shipped(spec) is not None for spec in opening(seed)]
    return "shipped" if all(present) else "not shipped" if not any(present) else "partly shipped"


if __name__ == "__main__":
    main()
