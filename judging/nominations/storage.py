"""Where cleaned attachment bytes live: ``<var_dir>/attachments/<random>``, never under the uploader's name."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class AttachmentStore:
    """Files under a random name; the database keeps the name, the kind and the digest."""

    def __init__(self, var_dir: Path | str) -> None:
        self.root = Path(var_dir) / "attachments"

    def _path(self, stored_name: str) -> Path:
        if not stored_name.isalnum():  # our own random hex names only: no path can be smuggled in
            raise FileNotFoundError(stored_name)
        return self.root / stored_name

    def put(self, data: bytes) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        path = self.root / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return name

    def get(self, stored_name: str) -> bytes:
        return self._path(stored_name).read_bytes()

    def remove(self, stored_names) -> None:
        for name in stored_names:
            try:
                self._path(name).unlink()
            except FileNotFoundError:
                pass


class StagedUpload:
    """An uploaded file kept for the background job that imports it, removed when the job ends."""

    def __init__(self, var_dir: Path | str) -> None:
        self.root = Path(var_dir) / "uploads"

    def put(self, data: bytes) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        fd = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return name

    def get(self, name: str) -> bytes:
        if not name.isalnum():
            raise FileNotFoundError(name)
        return (self.root / name).read_bytes()

    def remove(self, name: str) -> None:
        if name and name.isalnum():
            try:
                (self.root / name).unlink()
            except FileNotFoundError:
                pass
