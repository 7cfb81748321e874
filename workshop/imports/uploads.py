"""Checked files waiting for their confirmation, kept in the instance folder under a token.

The file is checked when uploaded and kept until it is confirmed. Confirming
first claims it by renaming its description (one rename wins, even between
processes), so a confirmation sent twice imports it once: the second finds
nothing to claim.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

FOLDER = "imports"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# An upload nobody confirmed is dropped after a day.
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Upload:
    """A checked file: who sent it, what kind it is, its name and its bytes."""

    token: str
    user_id: int
    kind: str
    filename: str
    data: bytes


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(instance_path: str, *, user_id: int, kind: str, filename: str, data: bytes) -> str:
    """Keep a checked file until it is confirmed; its token."""
    folder = _folder(instance_path)
    _drop_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    # The description last: a file without one is never claimed.
    description = {"user_id": user_id, "kind": kind, "filename": filename}
    temporary = folder / f"{token}.tmp"
    temporary.write_text(json.dumps(description))
    os.replace(temporary, folder / f"{token}.json")
    return token


def claim(instance_path: str, token: str, user_id: int) -> Upload | None:
    """Take the file kept under a token for this user; None when it is gone or someone else's."""
    if not TOKEN.match(token or ""):
        return None
    folder = _folder(instance_path)
    waiting, claimed = folder / f"{token}.json", folder / f"{token}.claimed"
    try:
        description = json.loads(waiting.read_text())
    except (OSError, ValueError):
        return None
    if description.get("user_id") != user_id:
        return None
    try:
        # Atomic: of two confirmations at once, one rename succeeds.
        os.rename(waiting, claimed)
    except FileNotFoundError:
        return None
    try:
        data = (folder / f"{token}.data").read_bytes()
    except OSError:
        claimed.unlink(missing_ok=True)
        return None
    return Upload(token, user_id, description["kind"], description["filename"], data)


def give_back(instance_path: str, token: str) -> None:
    """Put a claimed file back, when its import failed for a reason other than its rows."""
    folder = _folder(instance_path)
    with suppress(FileNotFoundError):
        os.rename(folder / f"{token}.claimed", folder / f"{token}.json")


def forget(instance_path: str, token: str) -> None:
    """Remove a file once imported (or refused)."""
    folder = _folder(instance_path)
    for suffix in (".json", ".claimed", ".data"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)


def _drop_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        # Another process may be dropping the same old file.
        with suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()
