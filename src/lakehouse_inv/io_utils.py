"""File helpers shared by the command-line tools (``solve-policies``, ``forecast-file``, ``export-orders``).

``atomic_write`` is the only way those tools write their output: a reader (or a later run) sees either the previous
file or the complete new one, never a truncated or half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO


@contextmanager
def atomic_write(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[str]]:
    """Open a temporary text file next to ``path``; on normal exit flush, fsync and rename it over ``path``.

    If the ``with`` body raises, the temporary file is removed and ``path`` keeps its previous content (or stays
    absent). The temporary file lives in the same directory so the final ``os.replace`` is atomic; an unwritable or
    missing directory fails here, before any work is presented as done (``OSError`` naming the directory).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        _keep_mode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _keep_mode(target: Path, temporary: str) -> None:
    """Give the new file the old file's permissions, or the usual umask-based ones (mkstemp creates 0600)."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)
