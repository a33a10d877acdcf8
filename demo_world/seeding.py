"""Seeded randomness: one independent numpy stream per stage, seeded Faker, random ids."""

from __future__ import annotations

import math

import numpy as np
from faker import Faker

_STAGES = {
    "people": 1,
    "accounts": 2,
    "records": 3,
    "catalogue": 4,
    "behaviour": 5,
    "events": 6,
    "ids": 7,
}


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """Return the numpy generator of one stage, independent of the other stages."""
    return np.random.default_rng([seed, _STAGES[stage]])


def make_faker(seed: int) -> Faker:
    """Return an en_GB Faker instance seeded per instance (no global state)."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    return fake


class IdFactory:
    """Random, unique, opaque ids (``prefix`` + hex) that reveal nothing about generation order."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._pool: list[int] = []

    def new(self, prefix: str, digits: int = 12) -> str:
        """Return a fresh id such as ``c-3f9a0b1c2d4e``."""
        while True:
            if not self._pool:
                self._pool = self._rng.integers(0, 2**62, size=4096).tolist()
            value = f"{prefix}{self._pool.pop() % 16**digits:0{digits}x}"
            if value not in self._used:
                self._used.add(value)
                return value


class UniformStream:
    """Fast scalar draws for hot loops, buffered from a numpy generator (deterministic)."""

    def __init__(self, rng: np.random.Generator, block: int = 65_536) -> None:
        self._rng = rng
        self._block = block
        self._buffer: list[float] = []

    def random(self) -> float:
        """Return a uniform float in [0, 1)."""
        if not self._buffer:
            self._buffer = self._rng.random(self._block).tolist()
        return self._buffer.pop()

    def below(self, n: int) -> int:
        """Return a uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def exponential(self, mean: float) -> float:
        """Return an exponential draw with the given mean."""
        return -mean * math.log1p(-self.random())
