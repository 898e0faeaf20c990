"""Command line that builds everything shipped in assets/: train, evaluate, certify.

    python -m core.experiments train --name cifar10-standard --data-dir ../shared/data
    python -m core.experiments evaluate --name cifar10-adversarial --data-dir ../shared/data
    python -m core.experiments certify --name cifar10-gaussian-0.25 --data-dir ../shared/data
    python -m core.experiments list

Each model name maps to a recipe in :data:`RECIPES`; the manifest entry records the exact command,
seed, wall time, device and metrics, so every shipped number can be reproduced.

This module is the command line only: it parses and checks the arguments, then calls the library — the
runs in core.runs (train, evaluate, certify, tradeoff, talk_table), the recipes in core.recipes, the
README tables in core.report and the regeneration plan in core.regenerate.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from core import report as tables
from core import runs, zoo
from core.device import resolve_device

# The names other code reads from here (the recipes, the certify files' provenance, the machine label).
from core.recipes import RECIPE_KEYS, RECIPES, build_model, override_recipe, recipe  # noqa: F401
from core.runs import RESULTS_DIR, _cpu_name, _device_label, curve_budgets, cw_curve_options, drawn_with  # noqa: F401


def _handler(run):
    """A sub-command running ``run`` (a core.runs function) with the parsed options as its keywords and the
    command line as typed as the one its files record."""
    options = [key for key in inspect.signature(run).parameters if key != "argv"]

    def handler(args):
        argv = sys.argv[1:] if getattr(args, "argv", None) is None else args.argv
        return run(**{key: getattr(args, key) for key in options}, argv=list(argv))

    handler.run = run
    return handler


command_train, command_evaluate, command_certify = (
    _handler(runs.train),
    _handler(runs.evaluate),
    _handler(runs.certify),
)
command_tradeoff, command_talk_table = _handler(runs.tradeoff), _handler(runs.talk_table)


def command_report(args) -> str:
    """The markdown tables of the shipped models and results (core.report); --readme rewrites its own."""
    text = tables.markdown_tables(models_dir=args.models_dir, results_dir=args.results_dir)
    print(text)
    if args.readme:
        tables.write_readme(args.readme, text)
    return text


def command_regenerate(args) -> None:
    """Every shipped result from its recorded command, in dependency order (core.regenerate)."""
    from core import regenerate

    steps = regenerate.plan(
        results_dir=args.results_dir,
        models_dir=args.models_dir,
        data_dir=args.data_dir,
        device=args.device,
        model=args.model,
        only=args.only,
        stale=args.stale,
    )
    if regenerate.run(steps, dry_run=args.dry_run):
        raise ValueError(
            "regeneration stopped at the failed step above; fix it and rerun with --only or --model."
        )


def _option(*flags, **settings) -> tuple:
    return flags, settings


FLAG = {"action": "store_true"}
OVERWRITE = _option("--overwrite", **FLAG, help="replace a result file computed with other settings")
EPS = _option("--eps", type=float, help="ℓ∞ budget (default 0.3 MNIST, 8/255 CIFAR-10)")
MODELS_DIR = _option("--models-dir", default=str(zoo.MODELS_DIR))
RESULTS_FOLDER = _option("--results-dir", default=str(RESULTS_DIR))
DATA_AND_FOLDERS = (
    _option("--data-dir", help="folder with <dataset>_<split>.npz files"),
    _option("--root", default="data", help="torchvision dataset folder"),
    _option("--download", **FLAG, help="let torchvision download the data"),
    _option("--device", default="auto"),
    _option("--seed", type=int, default=0),
    MODELS_DIR,
    RESULTS_FOLDER,
)
COMMON = (
    _option("--name", required=True, help="model name (see `list`)"),
    *DATA_AND_FOLDERS,
    _option("--test-limit", type=int, help="use only the first N test images"),
)
RESUME_TRAIN = (
    "checkpoint after every epoch and continue from the latest checkpoint of the same command (pass it from "
    "the first run; the result is identical to an uninterrupted run)"
)
# Each sub-command: (help, its options, its handler). A table, one option a line: kept as written.
# fmt: off
COMMANDS = {
    "train": ("train a zoo model and add it to the manifest", (
        *COMMON,
        _option("--epochs", type=int, help="override the recipe's epochs"),
        _option("--width", type=int, help="override the recipe's CNN width"),
        _option("--train-limit", type=int, help="use only N training images"),
        _option("--holdout", type=int, help="measure on the last N training images instead of the test set "
                "(a recipe study; needs --models-dir outside assets/models)"),
        _option("--recipe", help="JSON merged into the model's recipe, e.g. "
                """'{"architecture": {"kind": "cifar_resnet"}, "epochs": 12}'"""),
        _option("--eval-examples", type=int,
                help="evaluate each epoch on only N images (the final one uses all)"),
        _option("--resume", **FLAG, help=RESUME_TRAIN),
        _option("--checkpoint-dir", help="where --resume keeps its checkpoint (default "
                "runs/checkpoints/<name>-<digest of the command>/)"),
    ), command_train),
    "evaluate": ("the talk's table and accuracy-vs-budget curves", (
        *COMMON,
        EPS,
        _option("--eot", type=int, default=8, help="EOT samples for randomized models"),
        _option("--curve-examples", type=int, default=500),
        _option("--curve-steps", type=int, default=10),
        _option("--batch-size", type=int, default=256,
                help="images attacked together (and shared out per torchrun rank); never changes the rows"),
        _option("--curve-restarts", type=int, default=1,
                help="PGD curves: random restarts; an image counts robust only if it survives all"),
        OVERWRITE,
    ), command_evaluate),
    "certify": ("certified accuracy of a smoothed model (Cohen et al.)", (
        *COMMON,
        _option("--n0", type=int, default=100),
        _option("--n", "--num-samples", dest="n", type=int, default=10000,
                help="estimation draws per image (--num-samples under torchrun)"),
        _option("--alpha", type=float, default=0.001),
        _option("--every", type=int, default=20, help="certify every k-th test image"),
        _option("--limit", type=int, default=500),
        _option("--batch-size", type=int,
                help="noisy copies per forward pass (default: calibrated; never changes the rows)"),
        _option("--precision", choices=("fp32", "bf16"), default="fp32",
                help="bf16 autocast: another classifier, only where the hardware has native bf16"),
        OVERWRITE,
        _option("--resume", **FLAG, help="reuse the rows of an interrupted run with the same settings"),
        _option("--tag", help="write certify_<name>@<tag>.json beside the model's main file (e.g. n100000 "
                "for a run at another n), which tables and pages keep reading"),
    ), command_certify),
    "tradeoff": ("aggregate certify results into the trade-off table", (
        _option("--dataset", required=True),
        RESULTS_FOLDER,
    ), command_tradeoff),
    "report": ("markdown tables of shipped models and results", (
        MODELS_DIR,
        RESULTS_FOLDER,
        _option("--readme", help="also rewrite the tables between the results markers of this Markdown "
                "file (docs/RESULTS.md)"),
    ), command_report),
    "talk-table": ("the talk's table for the noise-trained models: EOT attacks, scored by the vote of "
                   "many noisy passes", (
        _option("--dataset", required=True, help="mnist or cifar10"),
        _option("--models", nargs="+", help="zoo models (default: every noise-trained model of the dataset)"),
        *DATA_AND_FOLDERS,
        EPS,
        _option("--eot", type=int, default=8, help="noise draws averaged in each attack gradient"),
        _option("--votes", type=int, default=100, help="noisy forward passes voting on each prediction"),
        _option("--every", type=int, default=100, help="use every k-th test image"),
        _option("--limit", type=int, default=100, help="at most this many test images"),
        _option("--batch-size", type=int, default=100),
        OVERWRITE,
    ), command_talk_table),
    "regenerate": ("rerun the recorded command of every shipped result file, then the README tables and "
                   "the scene build (core.regenerate)", (
        _option("--data-dir", help="replaces the data folder of the recorded commands"),
        _option("--device", help="replaces the recorded device"),
        _option("--model", help="only what depends on this zoo model"),
        _option("--only", help="only result files matching this glob, e.g. 'attacks_*'"),
        _option("--stale", **FLAG,
                help="only results computed from other weights than the zoo's (a retrained model)"),
        _option("--dry-run", **FLAG, help="print the commands, run nothing"),
        MODELS_DIR,
        RESULTS_FOLDER,
    ), command_regenerate),
    "list": ("list the recipes", (), None),
}
# fmt: on


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.experiments",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command, (help_text, options, handler) in COMMANDS.items():
        command_parser = sub.add_parser(command, help=help_text)
        for flags, settings in options:
            command_parser.add_argument(*flags, **settings)
        command_parser.set_defaults(handler=handler)
    return parser


# Arguments that must be positive integers / a probability, checked before anything is read or written.
POSITIVE_INTEGERS = tuple(
    "epochs width train_limit eval_examples test_limit eot curve_examples curve_steps curve_restarts n0 n "
    "every limit batch_size".split()
)


# The largest value each count may take: past these a run would take years or overflow an index
# (the largest split has 60,000 images; CERTIFY at n = 10⁹ is hours per image on a GPU).
UPPER_BOUNDS = {
    "every": 60_000,
    "limit": 10_000_000,
    "n0": 10**9,
    "n": 10**9,
    "eot": 10_000,
    "epochs": 100_000,
    "width": 4096,
    "curve_steps": 100_000,
    "curve_restarts": 1_000,
    "batch_size": 10**7,
}


def check_arguments(args) -> None:
    """One ValueError sentence for the first bad argument (nothing has been read or written yet)."""
    for name in POSITIVE_INTEGERS:
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive whole number, got {value}.")
        if value is not None and value > UPPER_BOUNDS.get(name, 10**9):
            raise ValueError(
                f"--{name.replace('_', '-')} {value} is beyond what a run can use: at most "
                f"{UPPER_BOUNDS.get(name, 10**9):,}."
            )
    if getattr(args, "seed", 0) < 0:
        raise ValueError(f"--seed must be a non-negative whole number, got {args.seed}.")
    if getattr(args, "name", None) is not None:
        zoo.check_name(args.name)  # names become file names: none may leave its folder
    if getattr(args, "tag", None) is not None:
        from core import results

        results.subject(args.name, args.tag)
    alpha = getattr(args, "alpha", None)
    if alpha is not None and not 0 < alpha < 1:
        raise ValueError(f"--alpha must lie strictly between 0 and 1, got {alpha}.")
    eps = getattr(args, "eps", None)
    if eps is not None and not (eps > 0 and eps < float("inf")):
        raise ValueError(f"--eps must be a positive number, got {eps}.")
    if getattr(args, "device", None) not in (None, "auto"):
        resolve_device(args.device)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "list":
        for name in sorted(RECIPES):
            print(name)
        return 0
    from core import distributed

    succeeded = False
    try:
        check_arguments(args)
        args.handler(args)
        succeeded = True
    except ValueError as error:  # DatasetUnavailable, ModelUnavailable, bad arguments
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # an unwritable results folder, a full disk
        print(
            f"error: cannot write {Path(error.filename or '').name or 'the result'} "
            f"({error.strerror or error}): choose a writable --results-dir / --models-dir.",
            file=sys.stderr,
        )
        return 2
    finally:
        distributed.finish(synchronize=succeeded)  # under torchrun: every rank leaves the group together
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
