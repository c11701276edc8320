"""The search box's answer for a browser: ``/search?q=`` as an HTML page, results grouped by kind.

The same URL answers JSON to API clients (``api/relations.py``); this renders
the very model that route builds, so both always agree.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from policykg.api.html import language, page, texts

# The interface text (section "search" of interface-texts.yaml) that names each kind of result.
KIND_TEXTS = {
    "item": "kind_item", "measure": "kind_measure", "chapter": "kind_chapter", "population": "kind_population",
    "body": "kind_body", "programme": "kind_programme", "slogan": "kind_slogan", "law": "kind_law",
    "publication": "kind_publication", "indicator": "kind_indicators",
}


def search_page(request: Request, results) -> Response:
    """``results``: the ``SearchResults`` model of ``/search``. A population found says how many items serve it
    (narrower groups included), since that is what one searches a group for: its page lists them."""
    from policykg.api import relations  # here: relations imports this module

    services = request.app.state.services
    base = services.base_url
    t = texts("search", language(request))
    populations = relations._populations(services)
    serving = {slug: relations._int(row.get("all_items")) for slug, row in populations.items()}
    groups = [{"kind": group.kind, "name": t[KIND_TEXTS[group.kind]], "total": group.total,
               "results": [{"hit": hit, "serving": serving.get(hit.path.rsplit("/", 1)[-1])
                            if group.kind == "population" else None} for hit in group.results]}
              for group in results.groups]
    return page(request, "search.html", base, text_section="search", results=results, groups=groups)
