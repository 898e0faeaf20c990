"""The README and docs/ describe the code that exists: every repository path and every dotted
``core.…`` / ``ui.…`` / ``bench.…`` name they quote (in backticks or code blocks) is there."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(
    r"(?<![\w./-])((?:core|ui|app_pages|pages|tests|bench|assets|docs|\.ci|\.streamlit)/"
    r"(?:[\w./@<>*-]*[\w/>*])?|app\.py|requirements(?:-dev)?\.txt|pytest\.ini|pyproject\.toml)"
)
NAME = re.compile(r"(?<![\w./])((?:core|ui|bench)\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


def _quoted(text: str) -> list[str]:
    """The code blocks and the `inline code` of a Markdown text."""
    blocks = re.findall(r"```[\w-]*\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```[\w-]*\n.*?```", "", text, flags=re.S)
    return blocks + re.findall(r"`([^`\n]+)`", rest)


def _quoted_tokens(pattern: re.Pattern) -> list[tuple[str, str]]:
    return sorted(
        {
            (doc.name, token)
            for doc in DOCS
            for quote in _quoted(doc.read_text())
            for token in pattern.findall(quote)
        }
    )


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


@pytest.mark.parametrize(
    "doc,path", [pair for pair in _quoted_tokens(PATH) if not any(mark in pair[1] for mark in "<>*")]
)
def test_every_path_the_docs_quote_exists(doc, path):
    assert (ROOT / path).exists(), f"{doc} quotes {path}, which is not in the repository"


@pytest.mark.parametrize("doc,name", _quoted_tokens(NAME))
def test_every_dotted_name_the_docs_quote_exists(doc, name):
    assert _resolves(name), f"{doc} quotes {name}, which does not exist"


def test_the_scan_finds_what_it_checks():
    """Guards the patterns themselves: a renamed module or a stale folder would be caught."""
    assert ("ARCHITECTURE.md", "core/scenes/registry.py") in _quoted_tokens(PATH)
    assert any(
        name == "core.smoothing" or name.startswith("core.smoothing.") for _, name in _quoted_tokens(NAME)
    )
    assert PATH.findall("see `pages/` and core/nothing.py") == ["pages/", "core/nothing.py"]
    assert not _resolves("core.smoothing.no_such_function") and _resolves("core.smoothing.certify")
