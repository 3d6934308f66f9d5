"""Oracles of the claims of the lesson running_stats (see the package docstring)."""

from __future__ import annotations

ORACLES: dict = {}
