"""Configuration of a demo world: what to generate and where to write it."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

GENERATOR_VERSION = "1.0.0"
DEFAULT_START = date(2026, 1, 1)


def default_output_dir() -> Path:
    """Return ``$CG_DATA_DIR/demo`` (``data/demo`` when the variable is unset)."""
    return Path(os.environ.get("CG_DATA_DIR", "data")) / "demo"


class DemoWorldConfig(BaseModel):
    """Parameters of a generated world; equal world parameters give byte-identical files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 42
    people: int = Field(default=5000, ge=1)
    days: int = Field(default=180, ge=1)
    holdout_days: int = Field(default=14, ge=0)
    start: date = DEFAULT_START
    output_dir: Path = Field(default_factory=default_output_dir)

    @model_validator(mode="after")
    def _holdout_inside_span(self) -> DemoWorldConfig:
        if self.holdout_days >= self.days:
            raise ValueError("holdout_days must be smaller than days")
        return self

    def world_params(self) -> dict[str, Any]:
        """Return the parameters that determine the content (everything but output_dir)."""
        return {
            "seed": self.seed,
            "people": self.people,
            "days": self.days,
            "holdout_days": self.holdout_days,
            "start": self.start.isoformat(),
        }

    @property
    def start_ms(self) -> int:
        """Start of the time span, epoch milliseconds (UTC midnight)."""
        return to_ms(datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC))

    @property
    def end_ms(self) -> int:
        """End (exclusive) of the time span, epoch milliseconds."""
        return self.start_ms + self.days * DAY_MS

    @property
    def cut_ms(self) -> int:
        """Holdout cut: interactions at or after it go only to the held-out truth file."""
        return self.start_ms + (self.days - self.holdout_days) * DAY_MS


DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1)


def to_ms(moment: datetime) -> int:
    """Convert an aware datetime to epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as ISO-8601 UTC with millisecond precision and a ``Z``."""
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"
