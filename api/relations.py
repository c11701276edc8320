"""Relationship endpoints (JSON, thin over named queries): items, populations, bodies, indicators, search."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["relationships"])
