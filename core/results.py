"""Shipped evaluation results in assets/results/: one JSON file per (kind, subject).

Every file carries the exact ``command`` that reproduces it, the machine it ran on and the
settings, so a page can plot it at first paint and say how to recompute it.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

from core.files import FileRefused, read_bounded, write_atomic
from core.zoo import ASSETS_DIR

RESULTS_DIR = ASSETS_DIR / "results"
KINDS = ("attacks", "robustness", "certify", "tradeoff", "talk_table")

_HOW = {
    "attacks": "python -m core.experiments evaluate --name {subject} --data-dir ../shared/data",
    "robustness": "python -m core.experiments evaluate --name {subject} --data-dir ../shared/data",
    "certify": "python -m core.experiments certify --name {subject} --data-dir ../shared/data",
    "tradeoff": "python -m core.experiments tradeoff --dataset {subject}",
    "talk_table": "python -m core.experiments talk-table --dataset {subject} --data-dir ../shared/data",
}


# The keys each kind of result file must hold (checked on read: a page never sees half a file).
REQUIRED = {
    "attacks": {"command": str, "model": str, "dataset": str, "curves": (dict, list)},
    "robustness": {"command": str, "model": str, "dataset": str, "table": (dict, list)},
    "certify": {
        "command": str,
        "model": str,
        "dataset": str,
        "radii": list,
        "certified_accuracy": list,
        "rows": list,
        "n": int,
        "alpha": float,
    },
    "tradeoff": {"command": str, "dataset": str, "rows": list},
    "talk_table": {
        "command": str,
        "dataset": str,
        "models": list,
        "eps": float,
        "eot": int,
        "votes": int,
        "seed": int,
        "examples": int,
    },
}


# Keys a file may lack (written before they existed) but must hold correctly when present. certify:
# ``noise_chunk`` (before it, noise was drawn in batches of ``batch_size``), ``precision`` (before it,
# fp32), ``inference`` (core.inference.InferencePlan.record(): how the classifier ran, its measured
# throughput), ``world_size`` (torch.distributed ranks).
OPTIONAL = {
    "certify": {
        "noise_chunk": int,
        "precision": str,
        "inference": dict,
        "world_size": int,
        "batch_size": int,
        "generator": str,
        "fp32_kernels": str,
    },
}
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[A-Za-z0-9][A-Za-z0-9._-]{0,31})?")


RESULT_LIMIT = 64 << 20  # bytes: the largest shipped result file is about 1 MB


class ResultsUnavailable(ValueError):
    """No shipped result of that kind; the message names the command that computes it."""


def path(kind: str, subject: str, results_dir: Path | str = RESULTS_DIR) -> Path:
    if kind not in KINDS:
        raise ValueError(f"Unknown result kind {kind!r}: choose one of {', '.join(KINDS)}.")
    if not isinstance(subject, str) or not SUBJECT.fullmatch(subject) or ".." in subject:
        raise ValueError(
            f"{str(subject)[:60]!r} cannot name a result file: use letters, digits, '.', '-', '_' "
            "(and one '@tag')."
        )
    return Path(results_dir) / f"{kind}_{subject}.json"


def read(kind: str, subject: str, results_dir: Path | str = RESULTS_DIR) -> dict:
    file = path(kind, subject, results_dir)
    if not file.exists():
        raise ResultsUnavailable(
            f"No shipped {kind} results for {subject} yet: run " + _HOW[kind].format(subject=subject)
        )
    rebuild = "recompute it with " + _HOW[kind].format(subject=subject)
    try:
        content = json.loads(read_bounded(file, RESULT_LIMIT))
    except FileRefused as error:
        raise ResultsUnavailable(f"{error} ({rebuild})") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = f" ({error.msg})" if isinstance(error, json.JSONDecodeError) else ""
        raise ResultsUnavailable(
            f"The shipped file {file.name} is not valid JSON{reason}; {rebuild}"
        ) from None
    if not isinstance(content, dict):
        raise ResultsUnavailable(f"The shipped file {file.name} does not hold a result; {rebuild}")
    for key, kind_of in REQUIRED[kind].items():
        value = content.get(key)
        if kind_of is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, kind_of) or isinstance(value, bool):
            raise ResultsUnavailable(f"The shipped file {file.name} lacks a valid {key!r}; {rebuild}")
    for key, kind_of in OPTIONAL.get(kind, {}).items():
        if key in content and (not isinstance(content[key], kind_of) or isinstance(content[key], bool)):
            raise ResultsUnavailable(f"The shipped file {file.name} has an invalid {key!r}; {rebuild}")
    if content.get("precision", "fp32") not in ("fp32", "bf16"):
        raise ResultsUnavailable(f"The shipped file {file.name} names an unknown precision; {rebuild}")
    if kind == "certify" and len(content["certified_accuracy"]) != len(content["radii"]):
        raise ResultsUnavailable(
            f"The shipped file {file.name} has {len(content['radii'])} radii but "
            f"{len(content['certified_accuracy'])} accuracies; {rebuild}"
        )
    problem = _rows_problem(kind, content)
    if problem:
        raise ResultsUnavailable(f"The shipped file {file.name} {problem}; {rebuild}")
    return content


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rows_problem(kind: str, content: dict) -> str | None:
    """What is wrong with the rows pages read (None when nothing): each one a number where a number
    is plotted, so no page meets a KeyError or a string where an accuracy belongs."""
    if kind in ("certify", "tradeoff"):
        if not all(_number(value) for value in content.get("radii", [])) or not all(
            _number(value) and 0 <= value <= 1 for value in content.get("certified_accuracy", [])
        ):
            return "has a radius or an accuracy that is not a number in range"
    if kind == "certify":
        for position, row in enumerate(content["rows"]):
            if not (
                isinstance(row, dict)
                and all(_whole(row.get(key)) for key in ("index", "label", "predict"))
                and _number(row.get("radius"))
                and row["radius"] >= 0
                and row.get("correct") in (0, 1, True, False)
            ):
                return f"has a malformed row {position + 1} (index, label, predict, radius ≥ 0, correct)"
    if kind == "tradeoff":
        for position, row in enumerate(content["rows"]):
            accuracies = row.get("certified_accuracy") if isinstance(row, dict) else None
            if not (
                isinstance(row, dict)
                and isinstance(row.get("model"), str)
                and isinstance(accuracies, list)
                and isinstance(row.get("radii"), list)
                and len(row["radii"]) == len(accuracies)
                and all(_number(value) for value in row["radii"])
                and all(_number(value) and 0 <= value <= 1 for value in accuracies)
            ):
                return f"has a malformed row {position + 1} (model, radii, accuracies in [0, 1])"
    return None


def subject(name: str, tag: str | None = None) -> str:
    """The subject of a result file: ``name``, or ``name@tag`` for a second run beside the main one
    (e.g. ``cifar10-gaussian-0.50@n100000``: same model, another n), which :func:`available` leaves out."""
    if tag is None:
        return name
    if not isinstance(tag, str) or not TAG.fullmatch(tag):
        raise ValueError(
            f"A result tag is 1–32 letters, digits, '.', '-' or '_', starting with a letter or digit "
            f"(e.g. n100000), not {tag!r}."
        )
    return f"{name}@{tag}"


def available(kind: str, results_dir: Path | str = RESULTS_DIR, *, tagged: bool = False) -> list[str]:
    """Subjects (model names or datasets) that have a shipped result of this kind; with ``tagged``,
    only the tagged second runs (``name@tag``) instead."""
    folder = Path(results_dir)
    prefix = f"{kind}_"
    subjects = (p.stem[len(prefix) :] for p in folder.glob(f"{prefix}*.json"))
    return sorted(s for s in subjects if ("@" in s) == tagged)


def write(
    kind: str,
    subject: str,
    payload: dict,
    *,
    command: str,
    device: str,
    results_dir: Path | str = RESULTS_DIR,
) -> Path:
    file = path(kind, subject, results_dir)
    file.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "kind": kind,
        "subject": subject,
        "command": command,
        "device": device,
        "computed_on": time.strftime("%Y-%m-%d"),
        **payload,
    }
    return write_atomic(file, json.dumps(record, indent=1) + "\n")  # a killed run leaves the old file
