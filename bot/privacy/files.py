"""Owner-only files and folders: what the project creates that may hold customers' data or credentials.

SQLite databases (tickets, channel state, analytics, the tracker store Rasa opens), the API token file and
privacy exports are created readable and writable by this user only (0600), and the folders the project
creates for them are 0700. SQLite creates a database's ``-wal``, ``-shm`` and ``-journal`` files with the
database file's own permissions, so creating the database file first is enough for them too.

Existing files and folders are left as they are (an operator may have chosen otherwise on purpose), except
:func:`write_private_text`, which always leaves the file at 0600.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
PathLike = Union[str, "os.PathLike[str]"]


def private_directory(path: PathLike) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (whatever the umask); existing ones stay."""
    folder = Path(path)
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:   # created meanwhile by another process
            continue
        os.chmod(created, PRIVATE_DIR_MODE)   # mkdir's mode is reduced by the umask; this is exact
    return folder


def private_file(path: PathLike) -> Path:
    """Create an empty ``path`` with mode 0600 when it does not exist (its folder 0700 when created); an
    existing file is not touched. Used before SQLite (or Rasa) opens a database file."""
    file = Path(path)
    private_directory(file.parent)
    try:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return file
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)
    return file


def write_private_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, readable by this user only; the mode is set before anything is
    written, also when the file existed with looser permissions."""
    file = Path(path)
    private_directory(file.parent)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(descriptor, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return file
