"""Oracles of the claims of the lesson testtime (see the package docstring)."""

from __future__ import annotations

ORACLES: dict = {}
