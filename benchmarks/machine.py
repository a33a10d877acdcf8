"""What every benchmark reports about the machine it ran on."""

from __future__ import annotations

import os
import platform
from typing import Any

import psutil


def machine_info() -> dict[str, Any]:
    """Cores, memory, Python and platform."""
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
