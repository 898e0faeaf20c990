"""Shipped evaluation results in assets/results/: one JSON file per (kind, subject).

Every file carries the exact ``command`` that reproduces it, the machine it ran on and the
settings, so a page can plot it at first paint and say how to recompute it.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from core.zoo import ASSETS_DIR

RESULTS_DIR = ASSETS_DIR / "results"
KINDS = ("attacks", "robustness", "certify", "tradeoff")

_HOW = {
    "attacks": "python -m core.experiments evaluate --name {subject} --data-dir ../shared/data",
    "robustness": "python -m core.experiments evaluate --name {subject} --data-dir ../shared/data",
    "certify": "python -m core.experiments certify --name {subject} --data-dir ../shared/data",
    "tradeoff": "python -m core.experiments tradeoff --dataset {subject}",
}


class ResultsUnavailable(ValueError):
    """No shipped result of that kind; the message names the command that computes it."""


def path(kind: str, subject: str, results_dir: Path | str = RESULTS_DIR) -> Path:
    if kind not in KINDS:
        raise ValueError(f"Unknown result kind {kind!r}: choose one of {', '.join(KINDS)}.")
    return Path(results_dir) / f"{kind}_{subject}.json"


def read(kind: str, subject: str, results_dir: Path | str = RESULTS_DIR) -> dict:
    file = path(kind, subject, results_dir)
    if not file.exists():
        raise ResultsUnavailable(f"No shipped {kind} results for {subject} yet: run "
                                 + _HOW[kind].format(subject=subject))
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise ResultsUnavailable(f"The shipped file {file.name} is not valid JSON ({error.msg}); "
                                 "recompute it with " + _HOW[kind].format(subject=subject)) from error


def available(kind: str, results_dir: Path | str = RESULTS_DIR) -> list[str]:
    """Subjects (model names or datasets) that have a shipped result of this kind."""
    folder = Path(results_dir)
    prefix = f"{kind}_"
    return sorted(p.stem[len(prefix):] for p in folder.glob(f"{prefix}*.json"))


def write(kind: str, subject: str, payload: dict, *, command: str, device: str,
          results_dir: Path | str = RESULTS_DIR) -> Path:
    file = path(kind, subject, results_dir)
    file.parent.mkdir(parents=True, exist_ok=True)
    record = {"kind": kind, "subject": subject, "command": command, "device": device,
              "computed_on": time.strftime("%Y-%m-%d"), **payload}
    # Atomic: a run killed mid-write leaves the previous file intact.
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(temporary, file)
    return file
