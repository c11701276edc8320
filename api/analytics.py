"""Graph analytics with networkx: neighbours, paths, centrality, GraphML/GEXF export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["graph analytics"])
