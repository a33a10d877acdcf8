"""Atomic output: every file is written under a temporary name and renamed at the end."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from demo_world.manifest import FileEntry, sha256_file


class AtomicWriter:
    """Writes files to temporary names; ``commit`` renames them all into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries: dict[str, FileEntry] = {}
        self._pending: list[tuple[Path, Path]] = []

    def _temporary(self, name: str) -> tuple[Path, Path]:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        self._pending.append((temporary, target))
        return temporary, target

    def _finish(self, name: str, temporary: Path, rows: int) -> FileEntry:
        entry = FileEntry(rows=rows, bytes=temporary.stat().st_size, sha256=sha256_file(temporary))
        self.entries[name] = entry
        return entry

    def write_csv(
        self, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> FileEntry:
        """Write a UTF-8 CSV with header (LF line ends, minimal quoting)."""
        temporary, _ = self._temporary(name)
        count = 0
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        return self._finish(name, temporary, count)

    def write_lines(self, name: str, lines: Iterable[str]) -> FileEntry:
        """Write text lines (e.g. JSON Lines), one per line."""
        temporary, _ = self._temporary(name)
        count = 0
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                handle.write(line)
                handle.write("\n")
                count += 1
        return self._finish(name, temporary, count)

    def commit(self) -> None:
        """Rename every temporary file to its final name."""
        for temporary, target in self._pending:
            os.replace(temporary, target)
        self._pending.clear()

    def abort(self) -> None:
        """Delete temporary files left by a failed run."""
        for temporary, _ in self._pending:
            temporary.unlink(missing_ok=True)
        self._pending.clear()
