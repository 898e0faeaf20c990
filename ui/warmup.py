"""Warm the server up while the lecturer is still on the home page.

The first scene page a server shows would otherwise pay for importing torch and the scene modules
(~3–5 s on 2 cores). app.py starts one background thread per process that imports every scene
module of the registry and loads the shipped models they open with, so that the first visit of a
scene only computes. The thread touches no Streamlit state; shared models are frozen (core.zoo.shared).
"""
from __future__ import annotations

import importlib
import threading

from core.scenes.registry import SCENES

_started = threading.Event()
_done = threading.Event()


def _warm() -> None:
    try:   # torch's first meta-device build imports its meta registrations (~0.7 s idle, seconds when busy)
        from core.models import feed_forward

        feed_forward(2, [2], 2)
    except Exception:  # noqa: BLE001 — only speed is at stake
        pass
    for scene in SCENES:
        try:
            module = importlib.import_module(scene.module)
            warm = getattr(module, "warm", None)   # a scene may preload what it opens with
            if warm is not None:
                warm()
        except Exception:  # noqa: BLE001 — a failed warm-up only costs speed; the page reports the error
            continue
    _done.set()


def start() -> None:
    """Start the warm-up once per process (later calls do nothing)."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=_warm, name="scene-warmup", daemon=True).start()


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (benchmarks); True when it has."""
    return _done.wait(timeout)
