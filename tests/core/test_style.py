"""The whole repository passes `ruff check` and `ruff format --check` with the settings of pyproject.toml
(line length 110, the rules selected there), so no line, import order or layout drifts unnoticed.
tests/scenes/test_registry.py also runs `ruff format --check` on the pages alone, with the check that no page
switches the formatter off."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None,
    reason="ruff is not installed: pip install -r requirements-dev.txt",
)


def _ruff(*arguments: str) -> subprocess.CompletedProcess:
    # --no-cache: the test leaves no .ruff_cache behind in the repository
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ruff_check_finds_nothing():
    checked = _ruff("check", "--output-format", "concise")
    assert checked.returncode == 0, f"`ruff check .` fails:\n{checked.stdout}{checked.stderr}"


def test_every_file_is_as_ruff_formats_it():
    checked = _ruff("format", "--check")
    assert checked.returncode == 0, (
        f"`ruff format --check .` fails (run `ruff format <files>`):\n{checked.stdout}{checked.stderr}"
    )
