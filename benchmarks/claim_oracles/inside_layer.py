"""Oracles of the claims of the lesson inside_layer (see the package docstring)."""

from __future__ import annotations

ORACLES: dict = {}
