"""Advisory folder locks: one corpus change and one index build at a time, across threads and processes."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import Conflict


@contextlib.contextmanager
def exclusive(folder: Path, what: str) -> Iterator[None]:
    """Hold an advisory lock on a folder, or raise Conflict at once."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise Conflict("busy", f"{what} is already running on {folder}; try again when it is done") from exc
        yield
    finally:
        os.close(fd)  # closing releases the lock
