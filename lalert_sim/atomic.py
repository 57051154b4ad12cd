"""Atomic file writing: a reader sees the old file or the whole new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def share(path: Path, mode: int) -> None:
    """Give ``path`` the permissions ``mode`` less the umask (mkstemp and mkdtemp make private ones)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        share(temporary, 0o666)
        os.replace(temporary, path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:  # a failed write says what, not where
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


def atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write text (UTF-8, newlines as given) through ``write(handle)``, atomically."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as out:
        write(out)


def write_text(path: Path, text: str) -> None:
    """A whole text file, atomically."""
    atomic_write(path, lambda out: out.write(text))
