"""Broken shipped files reach no page as an exception box: each page shows core's one sentence.

The app runs from a copy of the project whose manifest or result files are broken (the real assets are
never touched: other tests read them at the same time), in a subprocess, since core resolves assets/
from where it is imported.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "p03_cat_to_dog",
    "p04_crafting_attacks",
    "p06_adversarial_training",
    "p07_noise_injection",
    "p08_decision_distribution",
    "p09_certificate",
    "p10_tradeoff",
    "p11_take_home",
]

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from streamlit.testing.v1 import AppTest
shown = {}
for page in sys.argv[2].split(","):
    at = AppTest.from_file(sys.argv[1] + "/app.py", default_timeout=300)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    shown[page] = {"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
                   "warnings": [w.value for w in at.warning]}
print("SHOWN" + json.dumps(shown))
"""


def _project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("app.py", "app_pages", "core", "ui", "assets", ".streamlit"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".*.partial.jsonl")
            )
        elif source.exists():
            shutil.copy(source, copy / name)
    return copy


def _shown(copy: Path, pages: list[str]) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(copy), ",".join(pages)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=copy,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("SHOWN")]
    assert lines, run.stdout[-2000:] + run.stderr[-2000:]
    return json.loads(lines[-1][len("SHOWN") :])


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_a_manifest_entry_pages_cannot_use_is_one_sentence_on_every_page(tmp_path):
    copy = _project_copy(tmp_path)
    manifest_path = copy / "assets" / "models" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["models"]:
        if entry["name"] == "cifar10-gaussian-0.25":
            entry["noise"].pop("scale")  # p08 and p09 raised KeyError 'scale'
    manifest_path.write_text(json.dumps(manifest))
    results = copy / "assets" / "results"
    (results / "tradeoff_cifar10.json").write_text("{not json")
    (results / "certify_mnist-gaussian-0.25.json").write_text("[]")
    shown = _shown(copy, PAGES)
    print({page: what["errors"] for page, what in shown.items()})
    for page, what in shown.items():
        assert not what["exceptions"], (page, what["exceptions"])
        assert what["errors"], page
        assert all("\n" not in error and str(tmp_path) not in error for error in what["errors"]), page
    for page in ("p03_cat_to_dog", "p08_decision_distribution", "p09_certificate"):  # they list noise models
        assert any(
            "cifar10-gaussian-0.25" in error and "restore it" in error for error in shown[page]["errors"]
        )
    assert any(
        "tradeoff_cifar10.json is not valid JSON" in error for error in shown["p10_tradeoff"]["errors"]
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_unreadable_certify_files_are_said_on_p09_and_p10(tmp_path):
    """Every certify file broken: p09 said nothing (the files were skipped) or raised "The tabs parameter
    is required"; each file now gets its sentence."""
    copy = _project_copy(tmp_path)
    for file in (copy / "assets" / "results").glob("certify_*.json"):
        file.write_text("[]")
    shown = _shown(copy, ["p09_certificate", "p10_tradeoff"])
    assert not shown["p09_certificate"]["exceptions"] and not shown["p10_tradeoff"]["exceptions"]
    assert any("does not hold a result" in error for error in shown["p10_tradeoff"]["errors"])
    assert sum("does not hold a result" in warning for warning in shown["p09_certificate"]["warnings"]) >= 6
