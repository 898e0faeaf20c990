"""Writing files so that nothing is lost: a temporary file in the same folder, then a rename.

A run killed mid-write (kill -9, a full disk) leaves the previous file intact, never half of one.
"""

from __future__ import annotations

import os
import stat
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
        os.chmod(temporary, _mode_for(path))  # mkstemp makes 0600; keep what a plain write gives
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_safetensors_atomic(tensors: dict, path: Path | str, metadata: dict | None = None) -> Path:
    """safetensors' ``save_file`` through a temporary file and a rename."""
    from safetensors.torch import save

    return write_atomic(path, save(tensors, metadata=metadata))


class FileRefused(ValueError):
    """A file that is not a regular file, or larger than its bound: one sentence, never a hang."""


def read_bounded(path: Path | str, limit: int, *, shown: str | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, else FileRefused.

    Opened without blocking and checked on the open descriptor, so a FIFO, a device (a link to
    /dev/zero) or a file swapped in after a check can neither hang the caller nor fill its memory.
    ``shown`` is the name the sentence uses (default: the file's name, never a server path)."""
    path = Path(path)
    shown = shown or path.name
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as error:
        raise FileRefused(
            f"{shown} cannot be read ({error.strerror}): restore it from the repository."
        ) from None
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(
                f"{shown} is not a regular file: replace it with the real file from the repository."
            )
        if status.st_size > limit:
            raise FileRefused(
                f"{shown} is {status.st_size:,} bytes, more than the {limit:,} it may hold: "
                "replace it with the real file from the repository."
            )
        content = stream.read(limit + 1)
    if len(content) > limit:  # grew while being read
        raise FileRefused(
            f"{shown} is larger than the {limit:,} bytes it may hold: replace it with the real file "
            "from the repository."
        )
    return content
