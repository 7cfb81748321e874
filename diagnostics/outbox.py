"""A bench agent's outbox: the results the server has not taken yet, kept on disk.

A result is written here before it is first sent and its file removed only once the
server has it, so an agent killed outright or cut off from the server never costs a
result (an erasure is the proof that a donor's data was wiped). A result the server
refuses for good moves to `rejected/`, a file that cannot be read to `corrupt/`,
each with a `.why` file saying why.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The agent's own logger: `workshop bench agent` shows its lines, these among them.
log = logging.getLogger("diagnostics.agent")
OUTBOX_FORMAT = 1


def default_outbox(station: str) -> Path:
    """Where an agent keeps the results the server has not taken: the user's state folder."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", station.strip())
    return Path(base) / "workshop" / "agent" / (name if name.strip(".") else "station") / "outbox"


def _sync_folder(folder: Path) -> None:
    """Make a rename or a removal in the folder survive a power cut."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some filesystems cannot sync a folder: the file itself was synced
    finally:
        os.close(handle)


@dataclass
class Waiting:
    """A result in the outbox: its job, the body to post, its file (None: in memory only)."""

    name: str
    job_id: int
    body: dict[str, Any]
    path: Path | None = None


class Outbox:
    """The results the server has not taken yet, one JSON file each, in the order they ended.

    A file is written whole under a temporary name, synced, then renamed: a kill
    mid-write leaves the temporary file, never half a result under the real name.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.rejected = self.folder / "rejected"
        self.corrupt = self.folder / "corrupt"
        # Results the disk would not take (full, failing): sent first, lost if the agent stops.
        self.memory: list[Waiting] = []
        # Files that could be neither read nor moved aside: skipped until the agent restarts.
        self._stuck: set[str] = set()
        self._last_stamp = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        for left in sorted(self.folder.glob(".*.json.tmp")):
            self._finish_write(left)

    def put(self, job_id: int, body: Mapping[str, Any], **about: Any) -> Waiting:
        """Keep a result before it is first sent; in memory only when the disk refuses it."""
        stamp = max(time.time_ns(), self._last_stamp + 1)
        self._last_stamp = stamp
        name = f"{stamp:020d}-job{job_id}.json"
        record = {
            "format": OUTBOX_FORMAT,
            "job": job_id,
            "kept_at": datetime.now(UTC).isoformat(),
            **about,
            "body": dict(body),
        }
        try:
            self._write(self.folder / name, record)
        except (OSError, ValueError) as error:
            log.error(
                "job %s: the result cannot be written to the outbox %s (%s): it is kept in "
                "memory only, and lost if the agent stops before the server takes it",
                job_id,
                self.folder,
                error,
            )
            item = Waiting(name, job_id, dict(body))
            self.memory.append(item)
            return item
        return Waiting(name, job_id, dict(body), self.folder / name)

    def waiting(self) -> list[Waiting]:
        """The results still to send, oldest first; a file that cannot be read goes to corrupt/."""
        found = list(self.memory)
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.folder)
                if entry.name.endswith(".json")
                and not entry.name.startswith(".")
                and entry.name not in self._stuck
                and entry.is_file()
            )
        except OSError as error:
            log.error(
                "the outbox %s cannot be read (%s): nothing is sent from it", self.folder, error
            )
            return found
        for name in names:
            path = self.folder / name
            try:
                found.append(self._read(path))
            except FileNotFoundError:
                continue  # taken meanwhile
            except (OSError, ValueError, RecursionError) as error:
                where = self._set_aside(path, self.corrupt, f"cannot be read: {error}")
                log.error(
                    "the outbox file %s cannot be read (%s): moved to %s, it is not sent",
                    path,
                    error,
                    where or "nowhere (it stays, skipped)",
                )
        found.sort(key=lambda item: item.name)
        return found

    def taken(self, item: Waiting) -> None:
        """The server has the result: forget it."""
        if item.path is None:
            if item in self.memory:
                self.memory.remove(item)
            return
        item.path.unlink(missing_ok=True)
        _sync_folder(self.folder)

    def reject(self, item: Waiting, why: str) -> Path | None:
        """Move a result the server refused for good to rejected/, with why; where it went."""
        if item.path is not None:
            return self._set_aside(item.path, self.rejected, why)
        self.taken(item)
        target = self.rejected / item.name
        try:
            self.rejected.mkdir(exist_ok=True)
            self._write(target, {"format": OUTBOX_FORMAT, "job": item.job_id, "body": item.body})
        except (OSError, ValueError):
            return None
        self._note_why(target, why)
        return target

    def _read(self, path: Path) -> Waiting:
        record = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(record, dict) or not isinstance(record.get("body"), dict):
            raise ValueError("not a result kept by the agent")
        job = record.get("job")
        if isinstance(job, bool) or not isinstance(job, int) or job < 1:
            raise ValueError("no job number")
        return Waiting(path.name, job, record["body"], path)

    def _write(self, path: Path, record: Mapping[str, Any]) -> None:
        data = json.dumps(record, ensure_ascii=False, allow_nan=False).encode("utf-8")
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            with open(temporary, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)

    def _finish_write(self, temporary: Path) -> None:
        """A write the agent was killed in: renamed into place when whole, else set aside."""
        final = temporary.with_name(temporary.name[1 : -len(".tmp")])
        try:
            self._read(temporary)
        except (OSError, ValueError, RecursionError) as error:
            where = self._set_aside(temporary, self.corrupt, f"written only in part: {error}")
            log.error(
                "the outbox file %s was being written when the agent stopped: moved to %s",
                temporary,
                where or "nowhere (it stays, skipped)",
            )
            return
        os.replace(temporary, final)
        _sync_folder(self.folder)
        log.info("the outbox file %s, written whole before the agent stopped, is kept", final)

    def _set_aside(self, path: Path, folder: Path, why: str) -> Path | None:
        target = folder / path.name.lstrip(".")
        try:
            folder.mkdir(exist_ok=True)
            os.replace(path, target)
        except FileNotFoundError:
            return None
        except OSError as error:
            self._stuck.add(path.name)
            log.error("%s cannot be moved to %s (%s): it stays where it is", path, folder, error)
            return None
        _sync_folder(self.folder)
        self._note_why(target, why)
        return target

    @staticmethod
    def _note_why(target: Path, why: str) -> None:
        """A line next to the file set aside, for the person who finds it days later."""
        # The log says it too: a folder that refuses this line loses nothing.
        with contextlib.suppress(OSError):
            target.with_name(target.name + ".why").write_text(
                f"{datetime.now(UTC).isoformat()} {why}\n", encoding="utf-8"
            )
