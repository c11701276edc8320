"""Pages of their own for some kinds of resource; every other resource gets the generic statements page.

A browser asking for ``/id/item/16`` gets the item page (its text with the
evidence highlighted, variants, targets, later tasks) rather than a table of
triples; the same URL still answers Turtle, JSON-LD … to other clients. A
module that renders a kind registers it here with :func:`page_for`;
``api/app.py`` imports those modules, and ``api/entities.py`` asks
:data:`PAGES` before falling back to the generic page.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from policykg.api.deps import Services

# (services, request, ident "kind/slug") -> the page's HTML bytes, or None to use the generic page.
PageRenderer = Callable[[Services, Request, str], "bytes | None"]
PAGES: dict[str, PageRenderer] = {}


def page_for(*kinds: str) -> Callable[[PageRenderer], PageRenderer]:
    """Register a renderer for resources of these kinds (``item``, ``population`` …)."""
    def register(renderer: PageRenderer) -> PageRenderer:
        for kind in kinds:
            if kind in PAGES:
                raise ValueError(f"two pages for kind {kind!r}: {PAGES[kind].__module__} and {renderer.__module__}")
            PAGES[kind] = renderer
        return renderer
    return register
