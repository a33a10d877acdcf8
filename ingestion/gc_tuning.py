"""Garbage-collector thresholds for long batch runs (file imports, Kafka consumers, the
prepare worker).

Ingestion allocates millions of short-lived, acyclic objects (parsed events, rows, replies).
With CPython's default thresholds (a young collection every 700 allocations) that also
triggers a full collection every few hundred thousand allocations, and each one walks every
object the process holds. Collecting young objects every 50,000 allocations instead raised
end-to-end events/s in each of three interleaved pairs (benchmarks/ingest.py, RESULTS).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def batch_gc() -> Iterator[None]:
    """Within the block, young collections every 50,000 allocations; the previous
    thresholds are restored after it."""
    previous = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
