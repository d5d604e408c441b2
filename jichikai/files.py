"""Files the server keeps (instance folder, uploads, keys): private to its user from the start.

Folders are created 0700 and files 0600 by the call that creates them, never made private
afterwards, so no other account on the machine can read them even for a moment.
"""

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create `path` and its missing parents, each readable by the owner only."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    return path


def create_private_file(path: Path) -> bool:
    """Create an empty `path` readable by the owner only; False when it already existed."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return False
    return True


def write_private(path: Path, data: bytes, exclusive: bool = False) -> bool:
    """Write `path` created readable by the owner only.

    With `exclusive`, an existing file is left as it is (another process won the race) and
    False is returned.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        if exclusive:
            return False
        raise
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return True


def open_private(path: Path, mode: str = "a+"):
    """Open `path` for appending (created readable by the owner only)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
    return os.fdopen(fd, mode)
