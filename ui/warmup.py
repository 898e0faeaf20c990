"""Warm the server up while the lecturer is still on the home page.

The first scene page a server shows would otherwise pay for importing torch and the scene modules
(seconds on a laptop's CPU). app.py starts one background thread per process that imports every scene
module of the registry and loads the shipped models they open with, so that the first visit of a
scene only computes. The thread touches no Streamlit state; shared models are frozen (core.zoo.shared).

It also sets the server's torch threads (``THREADS`` intra-op threads per process) when this module is
imported, before anything imports torch: every session's script run is a thread of the one server
process and the networks are small, so several intra-op threads per run only hand work to each other
on the few cores that all sessions share (bench/RESULTS.md, bench_load at 30 students).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

from core.scenes.registry import SCENES, module_of

THREADS = 1  # torch intra-op threads per server process, unless OMP_NUM_THREADS says otherwise
START_DELAY_S = 1.0  # after the first page's run, before the warm-up begins


def configure_threads() -> None:
    """One torch intra-op thread (``THREADS``) for this process, unless ``OMP_NUM_THREADS`` is set: then
    that choice stands. Before torch is imported the variable is enough (torch reads it then)."""
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return
    os.environ["OMP_NUM_THREADS"] = str(THREADS)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(THREADS)


configure_threads()

_started = threading.Event()
_done = threading.Event()
_stop = threading.Event()
_thread: threading.Thread | None = None


def _warm() -> None:
    # Loading torch's extension holds the GIL: started at once, it would hold back the first page's last
    # messages to the browser. Let them go first.
    if _stop.wait(START_DELAY_S):
        _done.set()
        return
    try:  # torch's first meta-device build imports its meta registrations: done here, not in a page
        from core.models import feed_forward

        feed_forward(2, [2], 2)
    except Exception:  # noqa: BLE001 — only speed is at stake
        pass
    for scene in SCENES:
        if _stop.is_set():
            break
        try:
            module = module_of(scene.url_path)
            warm = getattr(module, "warm", None)  # a scene may preload what it opens with
            if warm is not None:
                warm()
        except Exception:  # noqa: BLE001 — a failed warm-up only costs speed; the page reports the error
            continue
    _done.set()


def start() -> None:
    """Start the warm-up once per process (later calls do nothing)."""
    global _thread
    if not _started.is_set():
        _started.set()
        _thread = threading.Thread(target=_warm, name="scene-warmup", daemon=True)
        _thread.start()
        atexit.register(_finish)


def _finish() -> None:
    """At interpreter exit, let the thread end its current import before the process goes down.

    A daemon thread still inside torch's C++ import when the interpreter finalises makes the process
    abort ("terminate called without an active exception", exit 134), e.g. at the end of a test run
    whose AppTests started the warm-up a moment before.
    """
    _stop.set()
    if _thread is not None:
        _thread.join(timeout=120)


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (benchmarks); True when it has."""
    return _done.wait(timeout)
