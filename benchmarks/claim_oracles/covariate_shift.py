"""Oracles of the claims of the lesson covariate_shift (see the package docstring)."""

from __future__ import annotations

ORACLES: dict = {}
