"""One command regenerates every shipped result from the shipped models:

    python -m core.experiments regenerate --data-dir ../shared/data \
        [--model NAME] [--only PATTERN] [--stale] [--dry-run]

Each result file in assets/results/ records the exact command that produced it (its "command" field) and
the model it was computed from (its "model" and "model_sha256" fields; a tradeoff file depends on the
certify files of its dataset). :func:`plan` turns those records into steps in dependency order — evaluate
and certify (one step per command: evaluate writes both the attacks_ and the robustness_ file), then the
tradeoff tables built from the certify files, then the result tables of docs/RESULTS.md
(``report --readme``), then the scenes' own shipped results (``python -m core.scenes build``) — and
:func:`run` runs them.

Selecting by model (``--model cifar10-gaussian-0.25``) keeps the files computed from that model, the
tradeoff table of its dataset when one of them is a certify file, and the scenes whose shipped file
names the model; ``--stale`` keeps the files whose recorded sha256 differs from the zoo's current weights
(a retrained model), and the attack files drawn before evaluation's per-example draw rule
(core.evaluation.DRAW_RULE), with the same downstream steps. A certify command carries ``--resume``: with
unchanged weights it reuses its shipped rows (seconds), with new weights it recomputes them.
"""

from __future__ import annotations

import fnmatch
import json
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core import results, zoo

PROJECT_DIR = Path(__file__).resolve().parents[1]
SCENES_DIR = zoo.ASSETS_DIR / "scenes"
ORDER = {
    "evaluate": 0,
    "certify": 0,
    "tradeoff": 1,
    "report": 2,
    "scenes": 3,
}  # other sub-commands: 0 (models in)
PREFIX = ("python", "-m", "core.experiments")


@dataclass(frozen=True)
class Step:
    """One command of the plan: its arguments after ``python -m``, the files it writes and the models it
    reads."""

    argv: tuple  # e.g. ("core.experiments", "evaluate", "--name", …)
    files: tuple  # result files (names) it writes; () for the README and scene steps
    models: tuple = field(default=())
    kind: str = "evaluate"

    @property
    def command(self) -> str:
        return "python -m " + " ".join(shlex.quote(a) for a in self.argv)


def _recorded_argv(file: Path, command: str) -> list[str]:
    parts = shlex.split(command)
    if tuple(parts[:3]) != PREFIX or len(parts) < 4:
        raise ValueError(
            f"{file.name} records the command {command!r}, not a `python -m core.experiments` one: "
            "recompute it by hand with the command that made it."
        )
    return parts[3:]


def _with_option(argv: list[str], flag: str, value: str | None) -> list[str]:
    """argv with ``flag value`` set (replacing a recorded one), unchanged when value is None."""
    if value is None:
        return argv
    out, skip = [], False
    for k, item in enumerate(argv):
        if skip:
            skip = False
            continue
        if item == flag:
            skip = True
            continue
        if item.startswith(flag + "="):
            continue
        out.append(item)
    return out + [flag, str(value)]


def _current_sha(name: str, models_dir) -> str | None:
    try:
        return zoo.entry(name, models_dir).get("sha256")
    except (zoo.ModelUnavailable, ValueError):
        return None


def _scene_models(scenes_dir: Path) -> dict[str, str]:
    """Scene URL path → the text of its shipped file (assets/scenes/<module>.json), for scenes that ship
    one."""
    from core.scenes.registry import SCENES

    texts = {}
    for scene in SCENES:
        path = scenes_dir / f"{scene.module.rsplit('.', 1)[-1]}.json"
        if path.exists():
            texts[scene.url_path] = path.read_text()
    return texts


def plan(
    *,
    results_dir=results.RESULTS_DIR,
    models_dir=zoo.MODELS_DIR,
    scenes_dir: Path = SCENES_DIR,
    data_dir: str | None = None,
    device: str | None = None,
    model: str | None = None,
    only: str | None = None,
    stale: bool = False,
    readme: str | None = "docs/RESULTS.md",
    scenes: bool = True,
) -> list[Step]:
    """The steps that regenerate the shipped results, in dependency order (see the module docstring).

    ``data_dir``/``device`` replace the recorded ones; ``results_dir``/``models_dir`` are passed on when they
    are not the shipped folders. ``model``: only what depends on that zoo model; ``only``: only result files
    whose name matches the glob (no README or scene step); ``stale``: only files whose recorded model sha256
    differs from the zoo's, or attack files drawn before core.evaluation.DRAW_RULE. Raises ValueError (one
    sentence) for an unknown model or a pattern matching nothing."""
    results_dir, models_dir = Path(results_dir), Path(models_dir)
    if model is not None and model not in zoo.names(models_dir):
        raise ValueError(f"Unknown model {model!r}: choose one of {', '.join(zoo.names(models_dir))}.")
    records = {}
    for kind in results.KINDS:
        for subject in results.available(kind, results_dir) + results.available(
            kind, results_dir, tagged=True
        ):
            record = results.read(kind, subject, results_dir)
            records[results.path(kind, subject, results_dir).name] = (kind, record)
    if not records:
        raise ValueError(f"No shipped result files in {results_dir}: there is nothing to regenerate.")

    def entries(record: dict) -> list[dict]:
        """The record and its per-model rows (tradeoff rows, talk-table models): whatever names a model."""
        rows = [row for key in ("rows", "models") for row in (record.get(key) or []) if isinstance(row, dict)]
        return [entry for entry in (record, *rows) if isinstance(entry.get("model"), str)]

    def models_of(kind: str, record: dict) -> tuple:
        return tuple(sorted({entry["model"] for entry in entries(record)}))

    def is_stale(kind: str, record: dict) -> bool:
        return any(
            entry["model_sha256"] != _current_sha(entry["model"], models_dir)
            for entry in entries(record)
            if "model_sha256" in entry
        ) or _older_draws(kind, record)

    # One step per distinct command (evaluate writes two files with the same command).
    steps: dict[tuple, Step] = {}
    for name, (kind, record) in sorted(records.items()):
        argv = _recorded_argv(results_dir / name, record["command"])
        sub = argv[0]
        if sub in ("evaluate", "certify", "train") or "--data-dir" in argv:  # the commands that read data
            argv = _with_option(argv, "--data-dir", data_dir)
            argv = _with_option(argv, "--device", device)
            if Path(models_dir).resolve() != zoo.MODELS_DIR.resolve():
                argv = _with_option(argv, "--models-dir", str(models_dir))
        if results_dir.resolve() != results.RESULTS_DIR.resolve():
            argv = _with_option(argv, "--results-dir", str(results_dir))
        key = tuple(argv)
        previous = steps.get(key)
        files = (previous.files if previous else ()) + (name,)
        step_models = tuple(sorted(set(previous.models if previous else ()) | set(models_of(kind, record))))
        steps[key] = Step(("core.experiments", *argv), files, step_models, sub)

    selected = list(steps.values())
    if only is not None:
        selected = [s for s in selected if any(fnmatch.fnmatch(f, only) for f in s.files)]
        if not selected:
            raise ValueError(
                f"No shipped result file matches {only!r}: the files are {', '.join(sorted(records))}."
            )
        return sorted(selected, key=lambda s: (ORDER.get(s.kind, 0), s.files))
    if model is not None or stale:

        def wanted(step: Step) -> bool:
            if step.kind == "tradeoff":
                return False
            chosen = [records[f] for f in step.files]
            return (model is None or model in step.models) and (
                not stale or any(is_stale(kind, record) for kind, record in chosen)
            )

        upstream = [s for s in selected if wanted(s)]
        datasets = {records[f][1]["dataset"] for s in upstream if s.kind == "certify" for f in s.files}
        selected = upstream + [
            s for s in selected if s.kind == "tradeoff" and records[s.files[0]][1]["dataset"] in datasets
        ]
    selected = sorted(selected, key=lambda s: (ORDER.get(s.kind, 0), s.files))
    if readme is not None and selected:
        report = ["report", "--readme", readme]
        if models_dir.resolve() != zoo.MODELS_DIR.resolve():
            report += ["--models-dir", str(models_dir)]
        if results_dir.resolve() != results.RESULTS_DIR.resolve():
            report += ["--results-dir", str(results_dir)]
        selected.append(Step(("core.experiments", *report), (), (), "report"))
    if scenes:
        if model is None and not stale:
            selected.append(Step(("core.scenes", "build"), (), (), "scenes"))
        else:
            names = {model} if model is not None else {m for s in selected for m in s.models}
            if stale:  # a retrained model whose scene assets name it, even without a result file
                names |= {
                    name for name in zoo.names(models_dir) if _scene_stale(name, scenes_dir, models_dir)
                }
            chosen = [
                path
                for path, text in _scene_models(scenes_dir).items()
                if any(json.dumps(name) in text for name in names)
            ]
            if chosen:
                argv = ["build"] + [part for path in chosen for part in ("--scene", path)]
                selected.append(Step(("core.scenes", *argv), (), tuple(sorted(names)), "scenes"))
    return selected


def _older_draws(kind: str, record: dict) -> bool:
    """Whether an attack file was drawn under the earlier batch-by-batch rule (its command now draws
    per example, core.evaluation.DRAW_RULE, so rerunning it would not reproduce it draw for draw)."""
    from core.evaluation import DRAW_RULE

    if kind == "robustness":
        return (record.get("table") or {}).get("draws") != DRAW_RULE
    if kind in ("attacks", "talk_table"):
        return record.get("draws") != DRAW_RULE
    return False


def _scene_stale(name: str, scenes_dir: Path, models_dir) -> bool:
    """Whether a scene's shipped file names ``name`` with a sha256 other than the zoo's current one."""
    sha = _current_sha(name, models_dir)
    for text in _scene_models(scenes_dir).values():
        try:
            content = json.loads(text)
        except ValueError:
            continue
        for section in content.values() if isinstance(content, dict) else ():
            if isinstance(section, dict) and isinstance(section.get(name), dict):
                recorded = section[name].get("sha256")
                if recorded is not None and recorded != sha:
                    return True
    return False


def _subprocess_runner(argv: tuple) -> int:
    return subprocess.call([sys.executable, "-m", *argv], cwd=PROJECT_DIR)


def run(steps: list[Step], *, dry_run: bool = False, runner=_subprocess_runner, log=print) -> int:
    """Print each step (its command and the files it writes); unless ``dry_run``, run it with ``runner(argv)``
    (a fresh ``python -m`` process by default) and stop at the first failure. Returns the exit status."""
    if not steps:
        log("Nothing to regenerate: every selected result was computed from the zoo's current weights.")
    for number, step in enumerate(steps, start=1):
        target = (
            ", ".join(step.files)
            if step.files
            else ("README tables" if step.kind == "report" else "assets/scenes, assets/toys")
        )
        log(f"[{number}/{len(steps)}] {step.command}    # → {target}")
        if dry_run:
            continue
        status = runner(step.argv)
        if status:
            log(f"error: step {number} failed (exit {status}): {step.command}")
            return status
    return 0
