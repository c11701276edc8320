"""Where the project's data folders are.

The repository keeps ``ontology/``, ``shapes/``, ``queries/``, ``sources/`` and
``build/data/`` at its top level. In a checkout (and an editable install) they
are read from there; a wheel ships them as package data of ``policykg.*``.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_PACKAGES = {
    "ontology": "policykg.ontology",
    "shapes": "policykg.shapes",
    "queries": "policykg.queries",
    "sources": "policykg.sources",
    "build/data": "policykg.build.data",
}


def data_dir(name: str) -> Path:
    """The folder ``name`` (one of ontology, shapes, queries, sources, build/data)."""
    checkout = REPO_ROOT / name
    if checkout.is_dir():
        return checkout
    return Path(str(importlib.resources.files(_PACKAGES[name])))


def ontology_file() -> Path:
    return data_dir("ontology") / "policykg.ttl"


def shapes_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def sources_dir() -> Path:
    return data_dir("sources")


def curated_file(name: str) -> Path:
    return data_dir("build/data") / name
