"""The result tables of docs/RESULTS.md: markdown tables of the shipped models and results, ours beside the
papers' (``python -m core.experiments report [--readme docs/RESULTS.md]``).

:func:`markdown_tables` reads the manifest and the result files; :func:`write_readme` replaces the text
between the results markers of docs/RESULTS.md; :func:`report` does both.
"""

from __future__ import annotations

from pathlib import Path

from core import results, zoo

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def markdown_tables(
    *, models_dir: str | Path = zoo.MODELS_DIR, results_dir: str | Path = results.RESULTS_DIR
) -> str:
    """Markdown tables of the shipped models and results, ours beside the papers' (for the README)."""
    from core import evaluation

    lines = [
        "| model | noise (layer) | clean test accuracy | under its noise | epochs | wall time | device |",
        "|---|---|---|---|---|---|---|",
    ]
    for record in zoo.read_manifest(models_dir)["models"]:
        noise = record.get("noise")
        noise_text = f"{noise['name']} {noise['scale']} ({noise['layer']})" if noise else "—"
        metrics = record["metrics"]
        lines.append(
            f"| {record['name']} | {noise_text} | {_percent(metrics['test_accuracy'])} | "
            f"{_percent(metrics.get('test_accuracy_under_noise'))} | {record['recipe']['epochs']} | "
            f"{record['wall_time_s'] / 60:.1f} min | {record['device']} |"
        )
    lines += ["", "| model | ε (ℓ∞) | natural | PGD-20 | CW-30 | test images |", "|---|---|---|---|---|---|"]
    for subject in results.available("robustness", results_dir):
        shipped = results.read("robustness", subject, results_dir)
        table = shipped["table"]
        lines.append(
            f"| {subject} | {shipped['eps']:.4g} | {_percent(table['natural'])} | "
            f"{_percent(table['pgd'])} | {_percent(table['cw'])} | {shipped['examples']} |"
        )
    for dataset in results.available("talk_table", results_dir):  # randomized models: EOT, vote
        shipped = results.read("talk_table", dataset, results_dir)
        for row in shipped["models"]:
            lines.append(
                f"| {row['model']} (EOT-{shipped['eot']} attacks, vote of {shipped['votes']}) | "
                f"{shipped['eps']:.4g} | {_percent(row['natural'])} | {_percent(row['pgd'])} | "
                f"{_percent(row['cw'])} | {shipped['examples']} |"
            )
    madry = evaluation.MADRY_CIFAR10
    for label, key in (
        ("Madry et al. 2018, CIFAR-10, natural training", "natural_training"),
        ("Madry et al. 2018, CIFAR-10, adversarial training", "adversarial_training"),
    ):
        row = madry[key]
        lines.append(
            f"| *{label}* | 8/255 | {_percent(row['natural'])} | {_percent(row['pgd'])} | "
            f"{_percent(row['cw'])} | 10000 |"
        )
    # One certified-accuracy table per norm (ℓ2 and ℓ1 radii are not comparable), each row with its own
    # noise's CERTIFY ceiling at its n and α (no radius beyond it), pulled back by its Lipschitz bound for
    # hidden-layer noise.
    from core import noise as noise_module
    from core import smoothing

    radii = evaluation.COHEN_RADII
    certified = [
        results.read("certify", subject, results_dir) for subject in results.available("certify", results_dir)
    ]
    for norm in ("l2", "l1", "linf"):
        if norm != "l2" and not any(record.get("norm") == norm for record in certified):
            continue
        lines += [
            "",
            f"| model ({norm} radii) | "
            + " | ".join(f"r = {r}" for r in radii)
            + " | ceiling | n | images |",
            "|---|" + "---|" * len(radii) + "---|---|---|",
        ]
        for shipped in (record for record in certified if record.get("norm") == norm):
            noise = noise_module.make(shipped["noise"]["name"], float(shipped["noise"]["scale"]))
            ceiling = smoothing.certify_ceiling(noise, shipped["alpha"], shipped["n"]) / shipped.get(
                "lipschitz_bound", 1.0
            )
            lines.append(
                f"| {shipped['model']} | "
                + " | ".join(_percent(a) for a in shipped["certified_accuracy"])
                + f" | {ceiling:.3g} | {shipped['n']} | {shipped['examples']} |"
            )
        if norm == "l2":
            for sigma, curve in evaluation.COHEN_CIFAR10.items():
                ceiling = smoothing.radius_ceiling(sigma, 0.001, 100_000)
                lines.append(
                    f"| *Cohen et al. 2019, CIFAR-10, σ = {sigma}* | "
                    + " | ".join(_percent(a) for a in curve)
                    + f" | {ceiling:.3g} | 100000 | 10000 |"
                )
    return "\n".join(lines)


def write_readme(readme: str | Path, text: str) -> None:
    """Replace the tables between the results markers of ``readme`` with ``text``."""
    readme = Path(readme)
    before, rest = readme.read_text().split(START, 1)
    readme.write_text(before + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])


def report(
    *,
    models_dir: str | Path = zoo.MODELS_DIR,
    results_dir: str | Path = results.RESULTS_DIR,
    readme: str | Path | None = None,
) -> str:
    """The markdown tables (:func:`markdown_tables`), also written into ``readme``'s results markers when
    given."""
    text = markdown_tables(models_dir=models_dir, results_dir=results_dir)
    if readme:
        write_readme(readme, text)
    return text
