"""cliptool: check, fix and clip the timestamps of notes about YouTube videos."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
