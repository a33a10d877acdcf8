"""Timestamps as epoch milliseconds.

Numbers are unix seconds, ms, µs or ns, chosen by the column's largest magnitude (< 1e11 → s,
< 1e14 → ms, < 1e17 → µs, else ns); strings are ISO-8601 (or any format pandas parses; no
zone → UTC); datetimes (e.g. from parquet) are used directly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gnn.table_files import file_error


def to_epoch_ms(series: pd.Series, path: Path | str = "", column: str = "time") -> np.ndarray:
    """Times as int64 epoch ms: datetimes, ISO strings, or unix s/ms/µs/ns by magnitude."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
    else:
        numeric = pd.api.types.is_numeric_dtype(series)
        if not numeric:  # strings: numeric if a sample is (saves a failing full parse)
            sample = series.dropna().head(100)
            numeric = len(sample) > 0 and bool(pd.to_numeric(sample, errors="coerce").notna().all())
        numbers = pd.to_numeric(series, errors="coerce") if numeric else series
        if numeric and not numbers.isna().any():
            values = np.asarray(numbers, np.float64)
            largest = float(np.abs(values).max()) if len(values) else 0.0
            scale = 1e3 if largest < 1e11 else 1.0 if largest < 1e14 else 1e-3
            if largest >= 1e17:
                scale = 1e-6
            return np.round(values * scale).astype(np.int64)
        try:
            stamps = pd.to_datetime(series, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            try:
                stamps = pd.to_datetime(series, utc=True, format="mixed")
            except (ValueError, TypeError) as error:
                raise file_error(path, column, f"unparsable time ({error})") from error
    missing = stamps.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise file_error(
            path, column, f"empty or unparsable time in row {row}: {series.iloc[row]!r}"
        )
    nanoseconds = stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return np.asarray(nanoseconds.astype(np.int64) // 1_000_000, np.int64)
