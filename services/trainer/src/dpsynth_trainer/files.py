"""Files written whole or not at all: the one way the trainer replaces a file a reader or a later attempt may open.

The content goes to a hidden `.<name>.partial` beside the target, is fsynced, then renamed over the target
(`os.replace` is atomic on POSIX), so a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path, *, private: bool = False) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces `path` when the block ends without an error.

    `private` makes the file 0600 whatever the umask (checkpoints hold sampler and noise states).
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    mode = 0o600 if private else 0o666
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    if private:
        os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replace `path` with `data`, whole or not at all."""
    with atomic_file(path, private=private) as handle:
        handle.write(data)
