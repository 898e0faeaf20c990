"""The runs behind ``python -m core.experiments``, as library functions: :func:`train`, :func:`evaluate`,
:func:`certify`, :func:`tradeoff` and :func:`talk_table` take plain keyword arguments (the CLI's options,
``--test-limit`` as ``test_limit``), write their files and return their payloads.

Each file records the command that reproduces it: ``argv`` (the arguments after ``python -m
core.experiments``, as the CLI passes them), else the command equivalent to the keywords given
(:func:`equivalent_command`). train checkpoints every epoch with ``resume``; certify checkpoints its rows
and resumes them; under ``torchrun`` evaluate and certify share the images between the ranks
(core.distributed) and rank 0 writes the single-process files.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import platform
import re
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from core import recipes, zoo
from core.device import resolve_device
from core.files import write_atomic
from core.models import inject_noise, without_noise
from core.smoothing import NOISE_CHUNK

RESULTS_DIR = zoo.ASSETS_DIR / "results"


def equivalent_command(run, **keywords) -> str:
    """The ``python -m core.experiments …`` line that makes the same run as ``run(**keywords)`` (one of this
    module's runs): the sub-command, then ``--option value`` for every keyword that differs from its
    default."""
    return _command_line(_equivalent_argv(run, keywords))


def _equivalent_argv(run, given: dict) -> list[str]:
    argv = [run.__name__.replace("_", "-")]
    for key, parameter in inspect.signature(run).parameters.items():
        value = given.get(key, parameter.default)
        if (
            key == "argv"
            or value is None
            or value is False
            or value is inspect.Parameter.empty
            or (parameter.default is not inspect.Parameter.empty and value == parameter.default)
        ):
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [flag, *map(str, value)]
        else:
            argv += [flag, str(value)]
    return argv


def _argv_or_equivalent(run, given: dict) -> list[str]:
    """The recorded arguments: ``argv`` when the caller passed one (the CLI), else the equivalent
    command's."""
    return list(given["argv"]) if given.get("argv") is not None else _equivalent_argv(run, given)


def _command_line(argv: Sequence[str]) -> str:
    return "python -m core.experiments " + " ".join(shlex.quote(a) for a in argv)


def _load_split(dataset: str, split: str, data_dir, root, download: bool, limit: int | None):
    from core import data

    return data.load_dataset(dataset, split, data_dir=data_dir, root=root, download=download, limit=limit)


def _device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads, {_cpu_name()})"


def _cpu_name() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else the architecture: timings differ by CPU."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_has_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a private oneDNN probe: absent from some builds
        return False


def train(
    name: str,
    *,
    data_dir: str | Path | None = None,
    root: str | Path = "data",
    download: bool = False,
    device: str | None = "auto",
    seed: int = 0,
    models_dir: str | Path = zoo.MODELS_DIR,
    test_limit: int | None = None,
    train_limit: int | None = None,
    epochs: int | None = None,
    width: int | None = None,
    holdout: int | None = None,
    recipe: str | None = None,
    eval_examples: int | None = None,
    resume: bool = False,
    checkpoint_dir: str | Path | None = None,
    argv: Sequence[str] | None = None,
) -> dict:
    """Train zoo model ``name`` from its recipe (``recipe``: a JSON override, core.recipes.override_recipe;
    ``epochs``/``width``: the recipe's, overridden) and add it to the manifest in ``models_dir``; returns
    its manifest record. ``holdout`` measures on the last N training images (a recipe study, outside the
    zoo's folder); ``resume``/``checkpoint_dir`` checkpoint every epoch and continue an interrupted run
    (see :func:`_checkpointing`). ``argv`` is the command line recorded in the manifest (the arguments after
    ``python -m core.experiments``); None records the command equivalent to these keywords."""
    argv = _argv_or_equivalent(train, locals())
    from core import noise as noise_module
    from core import training
    from core.training import attack_bn_mode, risk_and_accuracy

    spec = recipes.recipe(name)
    if recipe is not None:
        spec = recipes.override_recipe(spec, recipe)
    if epochs is not None:
        spec["epochs"] = epochs
    if width is not None:
        spec["architecture"]["width"] = width
    if holdout is not None and Path(models_dir).resolve() == zoo.MODELS_DIR.resolve():
        raise ValueError(
            "A --holdout run measures a recipe and is not a shipped model: add --models-dir with a "
            "study folder, e.g. --models-dir runs/study."
        )
    device = resolve_device(device)
    if spec.get("precision") == "bf16" and device.type == "cpu" and not _cpu_has_bf16():
        print(
            f"[{name}] note: this CPU has no native bfloat16, so bf16 training runs emulated and slower "
            "than the shipped wall time (measured on an AVX512-BF16 CPU).",
            flush=True,
        )
    x_train, y_train = _load_split(spec["dataset"], "train", data_dir, root, download, train_limit)
    if holdout is None:
        x_test, y_test = _load_split(spec["dataset"], "test", data_dir, root, download, test_limit)
    else:
        # Recipes are compared on the last N training images, never on the test set they are shipped against.
        if not 0 < holdout < len(x_train):
            raise ValueError(
                f"--holdout must be between 1 and {len(x_train) - 1} (the training images), got {holdout}."
            )
        x_train, y_train, x_test, y_test = (
            x_train[:-holdout],
            y_train[:-holdout],
            x_train[-holdout:],
            y_train[-holdout:],
        )
    if spec.get("adversarial") is not None:  # the manifest records the mode the attack ran in, default or not
        spec["adversarial"]["attack_bn_mode"] = attack_bn_mode(spec["adversarial"])
    model = recipes.build_model(spec, seed)
    noise_spec = spec.get("noise")
    input_noise = (
        noise_module.make(noise_spec["name"], noise_spec["scale"], **dict(noise_spec.get("params") or {}))
        if noise_spec and noise_spec["layer"] == 0
        else None
    )

    def report(row):
        if row.get("kind") == "epoch":
            print(
                f"[{name}] epoch {row['epoch']}: train acc {row['train_acc']:.4f} "
                f"test acc {row['test_acc']:.4f} ({row['seconds']:.0f}s)",
                flush=True,
            )

    result = training.train(
        model,
        x_train,
        y_train,
        epochs=spec["epochs"],
        x_test=x_test,
        y_test=y_test,
        loss="ce",
        optimizer=spec["optimizer"],
        lr=spec["lr"],
        batch_size=spec["batch_size"],
        weight_decay=spec["weight_decay"],
        schedule=spec["schedule"],
        label_smoothing=spec["label_smoothing"],
        augment=spec["augment"],
        noise=input_noise,
        adversarial=spec.get("adversarial"),
        seed=seed,
        device=device,
        callback=report,
        eval_examples=eval_examples,
        precision=spec.get("precision", "fp32"),
        channels_last=spec.get("channels_last", False),
        consistency=spec.get("consistency"),
        **_checkpointing(name, argv, resume=resume, checkpoint_dir=checkpoint_dir),
    )
    model.eval()
    # Final clean accuracy on the whole test split (noise drawn as at inference for noisy models;
    # input-noise models are measured on noisy inputs, their training distribution).
    shipped = model if input_noise is None else inject_noise(model, 0, input_noise, seed=seed).eval()
    _, clean_acc = risk_and_accuracy(shipped, x_test, y_test, device=device)
    _, base_acc = risk_and_accuracy(without_noise(model), x_test, y_test, device=device)
    info = {
        "name": name,
        "dataset": spec["dataset"],
        "noise": spec.get("noise"),
        "recipe": {
            key: value for key, value in spec.items() if key not in ("architecture", "dataset", "noise")
        },
        "command": _command_line(argv),
        "seed": seed,
        "wall_time_s": round(result.wall_time_s, 1),
        "device": _device_label(device),
        "torch": torch.__version__,
        "train_examples": len(x_train),
        "test_examples": len(x_test),
        "evaluated_on": "test split" if holdout is None else f"the last {holdout} training images (held out)",
        "metrics": {
            "test_accuracy": round(base_acc, 4),
            "test_accuracy_under_noise": round(clean_acc, 4) if noise_spec else None,
            "history": result.history,
        },
        "trained_on": time.strftime("%Y-%m-%d"),
    }
    record = zoo.save(shipped.cpu(), info, models_dir)
    print(
        f"[{name}] saved {record['file']} — test accuracy {base_acc:.4f}, "
        f"{result.wall_time_s:.0f}s on {info['device']}",
        flush=True,
    )
    return record


CHECKPOINTS_DIR = zoo.ASSETS_DIR.parent / "runs" / "checkpoints"  # ignored by git (/runs/)


def _run_key(argv: Sequence[str]) -> str:
    """A short digest of the train command without --resume/--checkpoint-dir: a study (--holdout, --recipe),
    another seed and the shipping run of one model keep separate default checkpoints."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--checkpoint-dir":
            skip = True
        elif item != "--resume" and not item.startswith("--checkpoint-dir="):
            kept.append(item)
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:10]


def _checkpointing(name: str, argv: Sequence[str], *, resume: bool, checkpoint_dir) -> dict:
    """train's checkpoint arguments: with --resume (or --checkpoint-dir) the state is saved after every
    epoch, by default in runs/checkpoints/<name>-<digest of the command>/, and --resume continues from it
    (identical result)."""
    if not resume and checkpoint_dir is None:
        return {}
    folder = Path(checkpoint_dir) if checkpoint_dir else CHECKPOINTS_DIR / f"{name}-{_run_key(argv)}"
    if not resume and (folder / "checkpoint.pt").exists():
        # Never overwrite an interrupted run's state because --resume was forgotten (as certify).
        raise ValueError(
            f"An interrupted run left checkpoint.pt in {folder}: add --resume to continue it, or "
            "delete that file (or choose another --checkpoint-dir) to start over."
        )
    if resume and (folder / "checkpoint.pt").exists():
        print(f"[{name}] resuming from {folder / 'checkpoint.pt'}", flush=True)
    return {"checkpoint_dir": folder, "resume": resume}


def _default_eps(dataset: str) -> float:
    return 0.3 if dataset in ("mnist", "fashion_mnist") else 8 / 255


def curve_budgets(dataset: str, eps: float) -> dict:
    """The budgets of evaluate's accuracy-vs-budget curves: ℓ∞ up to 2ε; ℓ2 up to 3 (CIFAR-10) or 8 (28×28
    images, where two digits lie about that far apart), so that a sound attack must reach accuracy 0."""
    l2 = [0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0] + (
        [4.0, 5.0, 6.0, 8.0] if dataset in ("mnist", "fashion_mnist") else []
    )
    return {"linf": [round(2 * eps * k / 8, 5) for k in range(9)], "l2": [round(v, 3) for v in l2]}


def cw_curve_options(dataset: str) -> dict:
    """Carlini–Wagner settings of evaluate's C&W curve: near-binary MNIST pixels sit where tanh is flat, so
    the
    Adam step is 0.1 there (0.01, foolbox's, elsewhere); 5 binary-search rounds from c = 1 (×10 until
    success)."""
    return {
        "steps": 100,
        "binary_search_steps": 5,
        "c": 1.0,
        "lr": 0.1 if dataset in ("mnist", "fashion_mnist") else 0.01,
    }


def evaluate(
    name: str,
    *,
    data_dir: str | Path | None = None,
    root: str | Path = "data",
    download: bool = False,
    device: str | None = "auto",
    seed: int = 0,
    models_dir: str | Path = zoo.MODELS_DIR,
    results_dir: str | Path = RESULTS_DIR,
    test_limit: int | None = None,
    eps: float | None = None,
    eot: int = 8,
    curve_examples: int = 500,
    curve_steps: int = 10,
    batch_size: int = 256,
    curve_restarts: int = 1,
    overwrite: bool = False,
    argv: Sequence[str] | None = None,
) -> dict:
    """The talk's table (natural / PGD-20 / CW-30) and accuracy-vs-budget curves for one model: writes
    robustness_<name>.json and attacks_<name>.json in ``results_dir`` and returns the table (rank 0; {}
    on the other torchrun ranks). ``eps`` defaults to 0.3 (MNIST) or 8/255 (CIFAR-10); ``eot`` applies to
    randomized models only. ``argv`` as in :func:`train`."""
    argv = _argv_or_equivalent(evaluate, locals())
    from core import distributed, evaluation, results

    group = distributed.start(device)  # one process, or this rank of torchrun's K
    device = group.device
    record = zoo.entry(name, models_dir)
    eps = eps if eps is not None else _default_eps(record["dataset"])
    eot = eot if record.get("noise") else 1
    failure = None
    if group.is_main:  # rank 0 alone reads the files; the other ranks get its answer
        try:
            # a retrained model may replace the shipped file
            _guard_shipped("robustness", name, {"eps": eps, "eot": eot}, results_dir, overwrite)
        except ValueError as error:
            failure = str(error)
    failure = distributed.broadcast(group, failure)
    if failure:
        raise ValueError(failure)
    model = zoo.load(name, device=device, models_dir=models_dir)
    x, y = _load_split(record["dataset"], "test", data_dir, root, download, test_limit)
    if group.is_main:
        try:
            _guard_shipped("robustness", name, {"examples": len(x)}, results_dir, overwrite)
        except ValueError as error:
            failure = str(error)
    failure = distributed.broadcast(group, failure)
    if failure:
        raise ValueError(failure)
    # Every row depends only on (seed, image index) (core.evaluation.example_generators), so the images are
    # shared in batches: in round t, rank r attacks batch t·K + r; rank 0 gathers the rows in index order.
    started = time.perf_counter()
    batches = [range(start, min(start + batch_size, len(x))) for start in range(0, len(x), batch_size)]
    bar = distributed.ProgressBar(name, len(x), enabled=group.is_main)
    rows, settings = [], None
    for batch, _ in distributed.shards(batches, group):
        part = (
            None
            if batch is None
            else evaluation.robustness_table(
                model,
                x[batch.start : batch.stop],
                y[batch.start : batch.stop],
                eps=eps,
                pgd_steps=20,
                cw_steps=30,
                eot=eot,
                seed=seed,
                device=device,
                batch_size=batch_size,
                indices=batch,
            )
        )
        for gathered in distributed.gather(group, part):
            if gathered is not None and group.is_main:
                rows += gathered["rows"]
                settings = settings or gathered
                bar.update(len(gathered["rows"]))
    if not group.is_main:
        return {}  # the curves (one process, on the first --curve-examples images) are rank 0's
    table = {**settings, **evaluation.table_from_rows(rows), "examples": len(rows), "rows": rows}
    table_seconds = time.perf_counter() - started
    budgets = curve_budgets(record["dataset"], eps)
    xs, ys = x[:curve_examples], y[:curve_examples]
    curves = {}
    for attack, norm in (
        ("fgsm", "linf"),
        ("pgd_linf", "linf"),
        ("pgd_cw", "linf"),
        ("gradient_step", "l2"),
        ("pgd_l2", "l2"),
        ("cw_l2", "l2"),
    ):
        if attack.startswith("pgd"):
            kwargs = {"steps": curve_steps, "restarts": curve_restarts}
        else:
            kwargs = cw_curve_options(record["dataset"]) if attack == "cw_l2" else {}
        curves[attack] = {
            "norm": norm,
            "budgets": budgets[norm],
            "settings": kwargs,
            "accuracy": evaluation.accuracy_under_attack(
                model, xs, ys, attack=attack, budgets=budgets[norm], seed=seed, device=device, **kwargs
            ),
        }
        print(f"[{name}] {attack}: {curves[attack]['accuracy']}", flush=True)
    command, label = _command_line(argv), _device_label(device)
    results.write(
        "robustness",
        name,
        {
            "model": name,
            "model_sha256": record["sha256"],
            "dataset": record["dataset"],
            "examples": len(x),
            "eps": eps,
            "eot": eot,
            "batch_size": batch_size,
            "world_size": group.world_size,
            "table": table,
            "seconds": round(table_seconds, 1),
        },
        command=command,
        device=label,
        results_dir=results_dir,
    )
    results.write(
        "attacks",
        name,
        {
            "model": name,
            "model_sha256": record["sha256"],
            "dataset": record["dataset"],
            "examples": len(xs),
            "draws": evaluation.DRAW_RULE,
            "curves": curves,
        },
        command=command,
        device=label,
        results_dir=results_dir,
    )
    print(f"[{name}] table on {len(x)} images: {table}", flush=True)
    return table


def certify(
    name: str,
    *,
    data_dir: str | Path | None = None,
    root: str | Path = "data",
    download: bool = False,
    device: str | None = "auto",
    seed: int = 0,
    models_dir: str | Path = zoo.MODELS_DIR,
    results_dir: str | Path = RESULTS_DIR,
    test_limit: int | None = None,
    n0: int = 100,
    n: int = 10000,
    alpha: float = 0.001,
    every: int = 20,
    limit: int = 500,
    batch_size: int | None = None,
    precision: str = "fp32",
    overwrite: bool = False,
    resume: bool = False,
    tag: str | None = None,
    argv: Sequence[str] | None = None,
) -> dict:
    """Cohen et al.'s certified accuracy at r ∈ {0, 0.25, 0.5, 0.75, 1.0} for a smoothed model, on every
    ``every``-th test image (at most ``limit``): writes certify_<name>[@tag].json in ``results_dir`` and
    returns its payload (rank 0; {} on the other torchrun ranks). Rows are checkpointed to
    ``.certify_<subject>.partial.jsonl`` beside it; ``resume`` reuses them (or the shipped file's rows drawn
    with the same settings). ``batch_size`` None: calibrated (core.inference). ``argv`` as in
    :func:`train`."""
    argv = _argv_or_equivalent(certify, locals())
    from core import distributed, evaluation, inference, results
    from core import noise as noise_module
    from core.lipschitz import lipschitz_upper_bound

    group = distributed.start(device)  # one process, or this rank of torchrun's K
    device = group.device
    subject = results.subject(name, tag)
    checkpoint = Path(results_dir) / f".certify_{subject}.partial.jsonl"
    if not resume and checkpoint.exists():
        # Never overwrite an interrupted run's rows because --resume was forgotten.
        raise ValueError(
            f"An interrupted run left {checkpoint.name} in {results_dir}: add --resume to "
            "continue it with the same settings, or delete that file to start over."
        )
    record = zoo.entry(name, models_dir)
    noise_spec = record.get("noise")
    if not noise_spec:
        raise ValueError(
            f"{name} has no noise: certify a noise-trained model (e.g. {record['dataset']}-gaussian-0.25)."
        )
    model = zoo.load(name, device=device, models_dir=models_dir)
    layer = int(noise_spec["layer"])
    noise = noise_module.make(
        noise_spec["name"], float(noise_spec["scale"]), **dict(noise_spec.get("params") or {})
    )
    if noise.certified_norm is None:
        raise ValueError(
            f"{name}'s noise ({noise.label}) has no certified radius: certify a model trained with "
            "gaussian, laplace, uniform or generalized normal (β ≥ 1) noise."
        )
    x, y = _load_split(record["dataset"], "test", data_dir, root, download, test_limit)
    x, y = x[::every][:limit], y[::every][:limit]
    if device.type == "cuda":
        x = x.pin_memory()  # page-locked: each image's copy to the GPU is a direct DMA
    lipschitz = 1.0
    if layer > 0:
        # Certify the head in layer-i space, on the clean prefix's output; the radius is divided
        # by the prefix's Lipschitz bound to return to pixel space.
        prefix, model = _split_at_noise(model, layer)
        lipschitz = lipschitz_upper_bound(prefix, layer, tuple(x.shape[1:]), device=device)
        with torch.no_grad():
            x = torch.cat([prefix(x[i : i + 256].to(device)).cpu() for i in range(0, len(x), 256)])
    else:
        model = without_noise(model)
    precision = inference.check_precision(precision, device)

    # Rows depend only on (seed + index) — the noise is drawn in fixed chunks (NOISE_CHUNK), so the
    # batch size, the inference plan and the number of ranks are not settings; a run can stop
    # anywhere and resume from its checkpoint; `seconds` sums the rows' own times.
    # The generator's device draws the noise (CUDA and CPU streams differ) and fp32 runs IEEE kernels
    # everywhere (core.device.strict_fp32), so rows drawn elsewhere or under TF32 are never reused.
    settings = {
        "model_sha256": record["sha256"],
        "n0": n0,
        "n": n,
        "alpha": alpha,
        "every": every,
        "seed": seed,
        "noise_chunk": NOISE_CHUNK,
        "precision": precision,
        "generator": device.type,
        "fp32_kernels": "ieee",
    }
    setup = None
    if group.is_main:  # rank 0 alone reads and writes the files; the other ranks get its answer
        try:
            # a retrained model may replace the shipped file
            _guard_shipped(
                "certify",
                subject,
                {**{k: v for k, v in settings.items() if k != "model_sha256"}, "examples": len(x)},
                results_dir,
                overwrite,
            )
            done, source = (_read_checkpoint(checkpoint, settings), checkpoint) if resume else ({}, None)
            if resume and not checkpoint.exists():
                # No interrupted run: extend the shipped result instead (e.g. from 100 to 500 images).
                done, source = _shipped_rows(subject, settings, results_dir), "the shipped result"
            done = {index: row for index, row in done.items() if index < len(x)}
            if not resume or not checkpoint.exists():
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(
                    checkpoint, "".join(json.dumps(line) + "\n" for line in (settings, *done.values()))
                )
            setup = (done, str(source), None)
        except ValueError as error:
            setup = ({}, None, str(error))
    done, source, failure = distributed.broadcast(group, setup)
    if failure:
        raise ValueError(failure)
    todo = [i for i in range(len(x)) if i not in done]
    if done and group.is_main:
        print(f"[{name}] resuming: {len(x) - len(todo)}/{len(x)} rows from {source}", flush=True)
    # The fastest exact way to run the classifier, measured by rank 0 and used by every rank, so that all
    # rows of one file come from one recorded plan (fp32 layouts differ only in rounding).
    batch_sizes = None if batch_size is None else (batch_size,)
    copy_bytes = 4 * x[0].numel()
    if batch_size is not None and batch_size * copy_bytes > CERTIFY_BATCH_BYTES:
        _drop_empty_checkpoint(checkpoint, done, group)
        raise ValueError(
            f"--batch-size {batch_size:,} would hold {batch_size * copy_bytes / 2**30:.1f} GiB "
            f"of noisy copies at once: use at most {CERTIFY_BATCH_BYTES // copy_bytes:,} (or leave it "
            "out: calibration picks the fastest)."
        )
    try:
        plan = (
            inference.calibrate(
                model,
                x[0],
                noise=noise,
                precision=precision,
                device=device,
                batch_sizes=batch_sizes,
                seed=seed,
                log=lambda text: print(f"[{name}] {text}", flush=True),
            )
            if group.is_main
            else None
        )
    except BaseException:
        _drop_empty_checkpoint(checkpoint, done, group)
        raise
    plan = distributed.broadcast(group, plan)
    if group.is_main and plan.samples_per_second:
        hours = len(todo) * (n0 + n) / plan.samples_per_second / 3600
        print(
            f"[{name}] {len(todo)} images × {n0 + n:,} forward passes at "
            f"{plan.samples_per_second:,.0f}/s: about {hours:,.1f} h on {group.world_size} process(es)",
            flush=True,
        )
    fast = inference.prepare(model, plan)
    bar = distributed.ProgressBar(name, len(x), done=len(x) - len(todo), enabled=group.is_main)
    with checkpoint.open("a") if group.is_main else contextlib.nullcontext() as log:
        for index, _ in distributed.shards(todo, group):
            row = (
                None
                if index is None
                else evaluation.certify_dataset(
                    fast,
                    x[index : index + 1],
                    y[index : index + 1],
                    noise=noise,
                    n0=n0,
                    n=n,
                    alpha=alpha,
                    batch_size=plan.batch_size,
                    seed=seed,
                    device=device,
                    indices=[index],
                )[0]
            )
            for gathered in distributed.gather(group, row):
                if gathered is not None and group.is_main:
                    done[gathered["index"]] = gathered
                    log.write(json.dumps(gathered) + "\n")
                    log.flush()
                    bar.update()
    if not group.is_main:
        return {}
    rows = [done[i] for i in range(len(x))]
    seconds = sum(row["seconds"] for row in rows)
    radii = [0.0, 0.25, 0.5, 0.75, 1.0]
    if layer > 0:
        for row in rows:
            row["radius_layer"] = row["radius"]
            row["radius"] = row["radius"] / lipschitz
    curve = evaluation.certified_accuracy_curve(rows, radii)
    payload = {
        "model": name,
        "model_sha256": record["sha256"],
        "dataset": record["dataset"],
        "noise": noise_spec,
        "norm": getattr(noise, "certified_norm", None),
        "n0": n0,
        "n": n,
        "alpha": alpha,
        "every": every,
        "seed": seed,
        "batch_size": plan.batch_size,
        "noise_chunk": NOISE_CHUNK,
        "precision": precision,
        "generator": device.type,
        "fp32_kernels": "ieee",
        "world_size": group.world_size,
        "inference": plan.record(),
        "examples": len(rows),
        "lipschitz_bound": lipschitz,
        "radii": radii,
        "certified_accuracy": curve,
        "seconds": round(seconds, 1),
        "rows": rows,
    }
    results.write(
        "certify",
        subject,
        payload,
        command=_command_line(argv),
        device=_device_label(device),
        results_dir=results_dir,
    )
    checkpoint.unlink(missing_ok=True)
    print(f"[{name}] certified accuracy at {radii}: {curve} ({seconds:.0f}s)", flush=True)
    return payload


CERTIFY_BATCH_BYTES = 2 << 30  # noisy copies held at once: beyond this a batch only costs memory


def _drop_empty_checkpoint(checkpoint: Path, done: dict, group) -> None:
    """Remove a checkpoint this run created that holds no row yet: a run refused before its first row
    must not leave a file that makes the next run ask for --resume."""
    if group.is_main and not done and checkpoint.exists():
        lines = [line for line in checkpoint.read_text().splitlines() if line.strip()]
        if len(lines) <= 1:
            checkpoint.unlink(missing_ok=True)


def _guard_shipped(kind: str, subject: str, settings: dict, results_dir, overwrite: bool) -> None:
    """Refuse (before any work) to replace a result file computed with other settings, unless
    --overwrite: a typo must not turn a 40-minute shipped result into a 5-image one."""
    from core import results

    if overwrite:
        return
    try:
        existing = results.read(kind, subject, results_dir)
    except results.ResultsUnavailable:
        return
    differ = [
        key
        for key, value in settings.items()
        if key != "examples" and key in existing and existing[key] != value
    ]
    if "examples" in settings and existing.get("examples", 0) > settings["examples"]:
        differ.append("examples")
    if differ:
        raise ValueError(
            f"{results.path(kind, subject, results_dir).name} was computed with other "
            f"settings ({', '.join(f'{key} {existing.get(key)}' for key in differ)}): pass the same "
            "ones, --results-dir to write elsewhere, or --overwrite to replace it."
        )


def _read_checkpoint(checkpoint: Path, settings: dict) -> dict[int, dict]:
    """Rows of an interrupted certify run with the same settings, by index ({} if none)."""
    if not checkpoint.exists():
        return {}
    lines = checkpoint.read_text().splitlines()
    try:
        saved = json.loads(lines[0]) if lines else None
        # A run killed mid-write leaves at most one torn last line; drop it.
        rows = [json.loads(line) for line in lines[1:] if line.strip().endswith("}")]
    except json.JSONDecodeError as error:
        raise ValueError(f"{checkpoint} is damaged ({error}): delete it and run certify again.") from None
    if not isinstance(saved, dict) or _as_drawn(saved) != settings:
        raise ValueError(
            f"{checkpoint} was written with other settings ({saved}): delete it, or resume "
            f"with the same --n0/--n/--alpha/--every/--seed (any --batch-size)."
        )
    return {int(row["index"]): row for row in rows}


def _shipped_rows(name: str, settings: dict, results_dir) -> dict[int, dict]:
    """Rows of the shipped certify result of ``name`` if it was computed with ``settings`` ({} if not).

    Files written before the batch size was recorded hold it in their command (default 1000), and
    before noise_chunk their noise was drawn in their batches (:func:`_as_drawn`); layer-i rows are
    returned in layer space, as the loop computes them."""
    from core import results

    try:
        shipped = results.read("certify", name, results_dir)
    except results.ResultsUnavailable:
        return {}
    flag = re.search(r"--batch-size[ =](\d+)", shipped.get("command", ""))
    batch_size = shipped.get("batch_size", int(flag.group(1)) if flag else 1000)
    # A file without a seed predates the checkpointed loop: its rows may have been drawn otherwise.
    drawn = _as_drawn(
        {
            **{key: shipped[key] for key in settings if key in shipped},
            "batch_size": batch_size,
            **drawn_with(shipped),
        }
    )
    if "seed" not in shipped or drawn != settings:
        return {}
    rows = {}
    for row in shipped["rows"]:
        row = dict(row)
        if "radius_layer" in row:
            row["radius"] = row.pop("radius_layer")
        rows[int(row["index"])] = row
    return rows


def drawn_with(result: dict) -> dict:
    """How a certify file's noise was drawn and its classifier evaluated: ``generator`` ("cpu" or
    "cuda", whose streams differ for one seed) and ``fp32_kernels`` ("ieee", or "tf32": files computed
    on CUDA before core.device.strict_fp32 ran cuDNN's default TF32 convolutions)."""
    inference = result.get("inference") if isinstance(result.get("inference"), dict) else {}
    generator = result.get("generator") or (
        "cuda" if str(inference.get("device") or result.get("device", "cpu")).startswith("cuda") else "cpu"
    )
    kernels = (
        result.get("fp32_kernels")
        or inference.get("fp32_kernels")
        or ("tf32" if generator == "cuda" else "ieee")
    )
    return {"generator": generator, "fp32_kernels": kernels}


def _as_drawn(saved: dict) -> dict:
    """A checkpoint header or result file's settings as its draws depend on them: before the noise
    was drawn in fixed chunks, it was drawn in the run's batches, so its batch size was its chunk;
    before --precision, every run was fp32."""
    saved = dict(saved)
    batch_size = saved.pop("batch_size", NOISE_CHUNK)
    saved.setdefault("noise_chunk", batch_size)
    saved.setdefault("precision", "fp32")
    return saved


def _split_at_noise(model, layer: int):
    """(prefix φ(i)∘…∘φ(1), head φ(N)∘…∘φ(i+1)) of a layer-i noise model, without the noise."""
    base = without_noise(model)
    return base.prefix(layer).eval(), base.suffix(layer).eval()


def tradeoff(
    dataset: str, *, results_dir: str | Path = RESULTS_DIR, argv: Sequence[str] | None = None
) -> dict:
    """Clean vs certified accuracy across noise distributions and scales, from the certify files of
    ``dataset`` in ``results_dir``: writes tradeoff_<dataset>.json and returns its payload."""
    argv = _argv_or_equivalent(tradeoff, locals())
    from core import results

    rows = []
    for subject in results.available("certify", results_dir):
        shipped = results.read("certify", subject, results_dir)
        if shipped["dataset"] != dataset:
            continue
        rows.append(
            {
                "model": subject,
                "noise": shipped["noise"],
                "norm": shipped["norm"],
                "radii": shipped["radii"],
                "certified_accuracy": shipped["certified_accuracy"],
                "n": shipped["n"],
                "examples": shipped["examples"],
            }
        )
    if not rows:
        raise ValueError(f"No certify results for {dataset}: run `python -m core.experiments certify` first.")
    payload = {"dataset": dataset, "rows": rows}
    results.write(
        "tradeoff",
        dataset,
        payload,
        command=_command_line(argv),
        device="(aggregated)",
        results_dir=results_dir,
    )
    for row in rows:
        print(row["model"], row["certified_accuracy"])
    return payload


def _randomized_models(dataset: str, models_dir) -> list[str]:
    """The zoo's noise-trained models of ``dataset`` (noise at the input or inside), in manifest order."""
    return [
        record["name"]
        for record in zoo.read_manifest(models_dir)["models"]
        if record["dataset"] == dataset and record.get("noise")
    ]


def talk_table(
    dataset: str,
    *,
    models: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    root: str | Path = "data",
    download: bool = False,
    device: str | None = "auto",
    seed: int = 0,
    models_dir: str | Path = zoo.MODELS_DIR,
    results_dir: str | Path = RESULTS_DIR,
    eps: float | None = None,
    eot: int = 8,
    votes: int = 100,
    every: int = 100,
    limit: int = 100,
    batch_size: int = 100,
    overwrite: bool = False,
    argv: Sequence[str] | None = None,
) -> dict:
    """The talk's table (natural / PGD-20 / CW-30, ℓ∞, Madry et al.'s budgets) for randomized models:
    every attack adaptive with EOT (gradients averaged over ``eot`` noise draws, Athalye et al. 2018),
    every prediction the majority vote of ``votes`` noisy forward passes (a tie abstains and counts as
    wrong), the attack's and the vote's noise from separate named streams (core.evaluation). ``models``:
    default every noise-trained model of ``dataset``. Writes talk_table_<dataset>.json and returns its
    payload."""
    argv = _argv_or_equivalent(talk_table, locals())
    from core import data, evaluation, results

    if votes < 1:
        raise ValueError(f"--votes must be a positive whole number, got {votes}.")
    if dataset not in data.IMAGE_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}: choose one of {', '.join(data.IMAGE_DATASETS)}.")
    device = resolve_device(device)
    names = models or _randomized_models(dataset, models_dir)
    if not names:
        raise ValueError(
            f"The zoo has no noise-trained {dataset} model: train one first, e.g. "
            f"python -m core.experiments train --name {dataset}-gaussian-0.25."
        )
    records = {name: zoo.entry(name, models_dir) for name in names}
    for name, record in records.items():
        if record["dataset"] != dataset or not record.get("noise"):
            raise ValueError(
                f"{name} is not a noise-trained {dataset} model: pass models such as {dataset}-gaussian-0.25."
            )
    eps = eps if eps is not None else _default_eps(dataset)
    settings = {"eps": eps, "eot": eot, "votes": votes, "seed": seed, "every": every}
    x, y = data.load_dataset(
        dataset, "test", data_dir=data_dir, root=root, download=download, every=every, limit=limit
    )
    _guard_shipped("talk_table", dataset, {**settings, "examples": len(x)}, results_dir, overwrite)
    rows = []
    for name, record in records.items():
        model = zoo.load(name, device=device, models_dir=models_dir)
        started = time.perf_counter()
        table = evaluation.robustness_table(
            model,
            x,
            y,
            eps=eps,
            norm="linf",
            pgd_steps=20,
            cw_steps=30,
            eot=eot,
            votes=votes,
            seed=seed,
            device=device,
            batch_size=batch_size,
        )
        seconds = time.perf_counter() - started
        abstained = {
            column: sum(row[f"{column}_predict"] == -1 for row in table["rows"])
            for column in evaluation.TABLE_COLUMNS
        }
        rows.append(
            {
                "model": name,
                "model_sha256": record["sha256"],
                "noise": record["noise"],
                **{column: table[column] for column in evaluation.TABLE_COLUMNS},
                "abstained": abstained,
                "seconds": round(seconds, 1),
                "table": table,
            }
        )
        print(
            f"[{name}] natural {table['natural']:.3f}, PGD-20 {table['pgd']:.3f}, CW-30 {table['cw']:.3f} "
            f"(EOT {eot}, vote of {votes}; {seconds:.0f}s)",
            flush=True,
        )
    payload = {
        "dataset": dataset,
        **settings,
        "norm": "linf",
        "pgd_steps": 20,
        "cw_steps": 30,
        "step_rule": "2.5·ε/steps, random start",
        "examples": len(x),
        "limit": limit,
        "batch_size": batch_size,
        "streams": {"attack": evaluation.ATTACK_STREAM, "score": evaluation.SCORE_STREAM},
        "draws": evaluation.DRAW_RULE,
        "scoring": f"majority vote of {votes} noisy forward passes; a tie abstains and counts as wrong",
        "models": rows,
    }
    results.write(
        "talk_table",
        dataset,
        payload,
        command=_command_line(argv),
        device=_device_label(device),
        results_dir=results_dir,
    )
    return payload


def recertify_at_ceiling(
    name: str,
    *,
    n: int,
    limit: int | None = None,
    data_dir: str | Path | None = None,
    models_dir: str | Path = zoo.MODELS_DIR,
    results_dir: str | Path = RESULTS_DIR,
    batch_size: int = 1000,
    log=print,
) -> dict:
    """The rows of ``name``'s certify file (certify_<name>.json in ``results_dir``; the first ``limit``), each
    row whose certified radius sits at that file's ceiling certify_ceiling(noise, α, n_file) — a radius set
    by n, not by p_A — certified again with ``n`` estimation draws: the same image, n0, α and stream
    (seed + index), on the CPU (core.evaluation.certify_dataset on zoo.shared_base(name)). The test images
    come from ``data_dir``, else from core.data.load_local. Returns {"rows", "n" (the draws behind each
    row), "record" (the file read)}; the file is left as it is."""
    from core import data, evaluation, results, smoothing
    from core import noise as noise_module

    record = results.read("certify", name, results_dir)
    if zoo.entry(name, models_dir).get("sha256") != record.get("model_sha256"):
        raise ValueError(
            f"certify_{name}.json was computed with other weights than today's {name}: "
            "certify it again first."
        )
    rows = record["rows"][:limit]
    every = int(record.get("every", 1))
    dataset = record["dataset"]
    if data_dir is None:
        x, y = data.load_local(dataset, "test", every=every, limit=len(rows))
    else:
        x, y = data.load_dataset(dataset, "test", data_dir=data_dir, every=every, limit=len(rows))
    noise = noise_module.make(record["noise"]["name"], float(record["noise"]["scale"]))
    ceiling = smoothing.certify_ceiling(noise, record["alpha"], record["n"])
    model = zoo.shared_base(name, models_dir=models_dir)
    kept, draws = [], []
    for row, image, label in zip(rows, x, y):
        if row["correct"] and row["radius"] >= ceiling - 1e-9:
            log(f"[{name}] recertifying image {row['index']} with n = {n:,} …")
            row = evaluation.certify_dataset(
                model,
                image[None],
                label[None],
                noise=noise,
                n0=record["n0"],
                n=n,
                alpha=record["alpha"],
                batch_size=batch_size,
                seed=record["seed"],
                indices=[row["index"]],
            )[0]
            draws.append(n)
        else:
            draws.append(record["n"])
        kept.append(row)
    return {"rows": kept, "n": draws, "record": record}
