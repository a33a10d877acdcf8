"""Reading tabular files: delimited text (CSV, TSV, ``::``-separated ``.dat``, ...) or parquet.

The format comes from the extension (optionally gzip/bz2/xz/zip compressed). A ``sep``
overrides the separator: ``tab``, ``comma``, ``semicolon``, ``pipe``, ``space`` (any run of
whitespace), ``colons`` (``::``) or a literal string; unknown extensions (``u.data``) are
sniffed from the first line. Text is read as UTF-8, else latin-1, unless an encoding is given.
Problems are `ValueError`s naming the file (and the column, when there is one).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

SEPARATORS: dict[str, str] = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": r"\s+",
    "colons": "::",
}
EXTENSION_SEPARATORS: dict[str, str] = {
    ".csv": ",",
    ".tsv": "\t",
    ".tab": "\t",
    ".psv": "|",
    ".dat": "::",
}
PARQUET_EXTENSIONS = (".parquet", ".pq")
COMPRESSION_EXTENSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
_FIELD_SEP = "\x1f"


def file_error(path: Path | str, column: str | None, reason: str) -> ValueError:
    """The error for a problem in `path` (in `column`, when given)."""
    where = f"{path}: column {column!r}" if column else f"{path}"
    return ValueError(f"{where}: {reason}")


def resolve_separator(sep: str | None, path: Path) -> str | None:
    """The separator to use: a named or literal `sep`, else from the extension, else None."""
    if sep is not None:
        return SEPARATORS.get(sep.lower(), sep) if sep else None
    return EXTENSION_SEPARATORS.get(_suffix(path))


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSION_EXTENSIONS:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _sniff(path: Path) -> str:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.readline()
    line = raw.decode("latin-1")
    counts = {sep: line.count(sep) for sep in ("\t", "::", ",", ";", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else r"\s+"


def read_table(
    path: Path,
    sep: str | None,
    names: list[str] | None,
    header: bool,
    id_columns: Sequence[str],
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a delimited or parquet file; id columns as strings."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if _suffix(path) in PARQUET_EXTENSIONS:
        frame = pd.read_parquet(path)
        if names is not None:
            if len(names) != frame.shape[1]:
                raise file_error(
                    path, None, f"{len(names)} column names for {frame.shape[1]} columns"
                )
            frame.columns = pd.Index(names)
        return frame
    separator = resolve_separator(sep, path) or _sniff(path)
    source: Path | io.StringIO = path
    if len(separator) > 1 and separator != r"\s+":  # e.g. '::': pandas' C parser wants 1 char
        text = _read_text(path, encoding)
        source, separator = io.StringIO(text.replace(separator, _FIELD_SEP)), _FIELD_SEP
    header_row: int | None = 0 if header else None
    dtypes = {c: str for c in id_columns}
    encodings = [encoding] if encoding else ["utf-8", "latin-1"]
    for n, attempt in enumerate(encodings):
        try:
            if isinstance(source, io.StringIO):
                source.seek(0)
            return pd.read_csv(
                source,
                sep=separator,
                header=header_row,
                names=names,
                dtype=dtypes,
                encoding=attempt,
                skipinitialspace=False,
            )
        except UnicodeDecodeError:
            if n == len(encodings) - 1:
                raise
        except pd.errors.ParserError as error:
            raise file_error(path, None, f"cannot parse ({error})") from error
    raise AssertionError("unreachable")


def _read_text(path: Path, encoding: str | None) -> str:
    if path.suffix.lower() == ".gz":
        with gzip.open(path) as handle:
            raw = handle.read()
    else:
        raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def require_column(frame: pd.DataFrame, path: Path, column: str, role: str) -> pd.Series:
    if column not in frame.columns:
        available = ", ".join(str(c) for c in frame.columns)
        raise file_error(path, column, f"missing (needed as {role}; file columns: {available})")
    return frame[column]
