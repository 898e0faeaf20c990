"""Writing files so that nothing is lost: a temporary file in the same folder, then a rename.

A run killed mid-write (kill -9, a full disk) leaves the previous file intact, never half of one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _mode_for(path: Path) -> int:
    """The existing file's permissions, else 0666 less the process's umask (as open() would give)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path | str, content: str | bytes) -> Path:
    """Replace ``path`` with ``content`` (text is UTF-8) in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode() if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))      # mkstemp makes 0600; keep what a plain write gives
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_safetensors_atomic(tensors: dict, path: Path | str, metadata: dict | None = None) -> Path:
    """safetensors' ``save_file`` through a temporary file and a rename."""
    from safetensors.torch import save

    return write_atomic(path, save(tensors, metadata=metadata))
