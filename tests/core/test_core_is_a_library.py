"""core/ is a pure library: it never imports Streamlit, directly or through another module."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import core

CORE = Path(core.__file__).parent


def test_no_core_module_mentions_streamlit_in_an_import():
    offenders = []
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "streamlit"]
    assert not offenders


def test_importing_every_core_module_loads_no_streamlit():
    modules = [f"core.{info.name}" for info in pkgutil.iter_modules([str(CORE)])]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(any(m == 'streamlit' or m.startswith('streamlit.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parent
    )
    assert result.stdout.strip() == "False"
