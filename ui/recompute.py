"""Recompute a slice of a shipped evaluation at the click, when the test set is on this machine.

Pages plot the shipped results (assets/results) at first paint. Where the dataset is present
locally (``$RDL_DATA_DIR``, ``../shared/data`` beside the project, or ``data/``), this panel reruns
the run that produced a shipped file (core.runs.evaluate or core.runs.certify, what ``python -m
core.experiments evaluate|certify`` calls) on the first k images and into a temporary folder, and shows
its numbers beside the shipped ones. CERTIFY's row i depends only on seed + i and on how its noise was
drawn and its classifier run (core.runs.drawn_with): rows drawn like for like must repeat exactly, others
(a CUDA or TF32 file recomputed on a CPU, another n) agree only within CERTIFY's statistics
(core.scenes.certificate.compare_certify_rows); the panel says which test applies and its outcome.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core import data, results, runs
from core.evaluation import certified_accuracy_curve
from core.scenes import certificate
from ui import frame


def data_dirs() -> list[Path]:
    """Folders searched for ``<dataset>_test.npz``, in order: core.data.data_dirs()."""
    return data.data_dirs()


def local_data_dir(dataset: str) -> str | None:
    """The first folder holding ``<dataset>_test.npz``, or None (an unreadable file is reported by
    the recomputation itself, in one sentence)."""
    for folder in data_dirs():
        if (folder / f"{dataset}_test.npz").is_file():
            return str(folder)
    return None


def _run(kind: str, run, name: str, **keywords) -> dict:
    """``run(name, **keywords)`` (core.runs.evaluate or certify) into a temporary results folder; the file
    it wrote there, of ``kind``.

    Raises ValueError (missing or unreadable data, …) with core's one-sentence message; progress lines go
    to the server's log.
    """
    with tempfile.TemporaryDirectory() as folder:
        run(name, results_dir=folder, **keywords)
        return results.read(kind, name, folder)


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


@st.cache_data(show_spinner=False, max_entries=16)
def recompute_robustness(name: str, data_dir: str, images: int, seed: int) -> dict:
    """The talk's table (natural / PGD-20 / CW-30) of ``name`` on the first ``images`` test images."""
    return _run(
        "robustness",
        runs.evaluate,
        name,
        data_dir=data_dir,
        test_limit=images,
        curve_examples=1,
        curve_steps=1,
        seed=seed,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def recompute_certify(
    name: str, data_dir: str, images: int, n: int, every: int, seed: int, n0: int = 100, alpha: float = 0.001
) -> dict:
    """CERTIFY (the shipped file's n0 and α) on every ``every``-th test image, the first ``images``."""
    return _run(
        "certify",
        runs.certify,
        name,
        data_dir=data_dir,
        limit=images,
        n=n,
        n0=n0,
        alpha=float(alpha),
        every=every,
        seed=seed,
    )


def full_command(kind: str, name: str, data_dir: str | None) -> str:
    """The ``python -m core.experiments evaluate|certify`` line that recomputes ``name``'s whole file."""
    run = {"evaluate": runs.evaluate, "certify": runs.certify}[kind]
    return runs.equivalent_command(run, name=name, data_dir=data_dir or "../shared/data")


def missing_data_caption(dataset: str, kind: str, name: str) -> None:
    folders = ", ".join(str(folder) for folder in data_dirs())
    st.caption(
        f"To recompute these numbers, put {dataset}_test.npz in one of {folders} (or set RDL_DATA_DIR), "
        f"then run `{full_command(kind, name, None)}`."
    )


def robustness_panel(
    names: list[str], shipped: dict[str, dict], *, dataset: str, seed: int, key: str
) -> None:
    """Recompute the talk's table of ``names`` on the first k local test images, beside the shipped one."""
    with st.expander(f"Recompute on the local {data.TITLES[dataset]} test set"):
        folder = local_data_dir(dataset)
        if folder is None or not names:
            missing_data_caption(dataset, "evaluate", names[0] if names else f"{dataset}-adversarial")
            return
        images = st.select_slider(
            "Test images (the first k)", [20, 50, 100, 200, 500, 1000], value=100, key=f"{key}_images"
        )
        request = (tuple(names), folder, int(images), int(seed))
        if not frame.clicked(f"{key}_button", f"Recompute PGD-20 and CW-30 on {images} images", request):
            commands = [
                record.get("command") for record in shipped.values() if record and record.get("command")
            ]
            st.caption(
                f"Reads {folder}/{dataset}_test.npz; the shipped rows used "
                + "; ".join(f"`{command}`" for command in commands)
                + "."
            )
            return
        rows = []
        for name in names:
            with st.spinner(f"{name}: PGD-20 and CW-30 on {images} images…"):
                try:
                    fresh = recompute_robustness(name, folder, int(images), int(seed))
                except (ValueError, results.ResultsUnavailable) as error:
                    st.warning(f"{name} could not be recomputed: {error}")
                    continue
            for label, record in (
                (f"{images} images, now (seed {seed})", fresh),
                (f"{(shipped.get(name) or {}).get('examples', '?')} images, shipped", shipped.get(name)),
            ):
                if record:
                    table = record["table"]
                    rows.append(
                        {
                            "model": name,
                            "evaluated on": label,
                            "natural": percent(table.get("natural")),
                            "PGD-20": percent(table.get("pgd")),
                            "CW-30": percent(table.get("cw")),
                        }
                    )
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")


def shipped_certify() -> dict[str, dict]:
    """Every shipped certify result (assets/results/certify_<name>.json) that reads, by model name
    (kept in memory until one of the files changes)."""
    names = results.available("certify")
    stamps = []
    for name in names:
        try:
            stat = results.path("certify", name).stat()
            stamps.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            continue
    return _read_certify(tuple(stamps))


@st.cache_resource(show_spinner=False, max_entries=2)
def _read_certify(stamps: tuple) -> dict[str, dict]:
    """The records themselves, shared by every session: read them, never mutate them."""
    shipped = {}
    for name, _, _ in stamps:
        try:
            shipped[name] = results.read("certify", name)
        except results.ResultsUnavailable:
            continue
    return shipped


def certify_panel(shipped: dict[str, dict] | None = None, *, key: str) -> None:
    """Recompute CERTIFY on the first k shipped images of one model and compare row by row (``shipped``:
    the certify records by model name; None reads them from assets/results)."""
    if shipped is None:
        shipped = shipped_certify()
    with st.expander("Recompute on the local test set"):
        if not shipped:
            st.caption("No shipped certify results to compare with.")
            return
        name = st.selectbox("Model", list(shipped), key=f"{key}_model")
        record = shipped[name]
        dataset = record["dataset"]
        folder = local_data_dir(dataset)
        if folder is None:
            missing_data_caption(dataset, "certify", name)
            return
        left, right = st.columns(2)
        images = left.slider("Images (every 20th test image, as shipped)", 2, 50, 10, key=f"{key}_images")
        n_choices = sorted({1000, int(record["n"])})
        n = right.select_slider("n (Monte-Carlo draws)", n_choices, value=int(record["n"]), key=f"{key}_n")
        seed = int(record.get("seed", 0))
        request = (
            name,
            folder,
            int(images),
            int(n),
            int(record["every"]),
            seed,
            int(record.get("n0", 100)),
            float(record["alpha"]),
        )
        made = certificate.provenance(record)
        if not frame.clicked(f"{key}_button", f"Recompute CERTIFY on {images} images", request):
            st.caption(f"The shipped file, {made.sentence}: `{record.get('command', '')}`.")
            return
        with st.spinner(f"CERTIFY on {images} images, n = {n}…"):
            try:
                fresh = recompute_certify(*request)
            except (ValueError, results.ResultsUnavailable) as error:
                st.warning(f"{name} could not be recomputed: {error}")
                return
        first = {**record, "rows": record["rows"][:images]}
        shipped_first = certified_accuracy_curve(first["rows"], record["radii"])
        st.dataframe(
            [
                {
                    "radius r": r,
                    f"now ({images} images, n = {n})": percent(a),
                    f"shipped, same {images} images": percent(b),
                    f"shipped, all {record['examples']}": percent(c),
                }
                for r, a, b, c in zip(
                    record["radii"], fresh["certified_accuracy"], shipped_first, record["certified_accuracy"]
                )
            ],
            hide_index=True,
            width="stretch",
        )
        st.caption(
            f"Shipped: {made.sentence}. Now: {certificate.provenance(fresh).sentence}, "
            f"{fresh['seconds']:.0f} s."
        )
        comparison = certificate.compare_certify_rows(fresh, first)
        if comparison is None:
            st.caption("The recomputed file is of another model or other images: its rows are not compared.")
            return
        st.metric(
            comparison.label,
            f"{comparison.agreeing}/{comparison.compared}",
            help="Identical rows are expected only like for like; otherwise CERTIFY's statistics decide.",
        )
        st.caption(comparison.caption)
