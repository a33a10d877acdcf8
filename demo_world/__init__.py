"""Seeded synthetic retail world (people, noisy source records, catalogue, events, truth).

Usage::

    from demo_world import DemoWorldConfig, generate, is_up_to_date

    config = DemoWorldConfig(people=200, days=30, output_dir=tmp)
    manifest = generate(config)
    assert is_up_to_date(tmp, config)

File formats: ``docs/specs/demo-world.md``.
"""

from __future__ import annotations

from demo_world.config import GENERATOR_VERSION, DemoWorldConfig, default_output_dir
from demo_world.generator import FILES, ProgressCallback, ensure, generate
from demo_world.manifest import FileEntry, Manifest, is_up_to_date, load_manifest

__all__ = [
    "FILES",
    "GENERATOR_VERSION",
    "DemoWorldConfig",
    "FileEntry",
    "Manifest",
    "ProgressCallback",
    "default_output_dir",
    "ensure",
    "generate",
    "is_up_to_date",
    "load_manifest",
]
