"""The search box's answer for a browser: ``/search?q=`` as an HTML page, results grouped by kind.

The same URL answers JSON to API clients (``api/relations.py``); this renders
the very model that route builds, so both always agree.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from policykg.api.html import language, page

# What each kind of result is called on the page.
KIND_NAMES = {
    "item": ("规划条目", "Plan items"), "measure": ("措施（句子）", "Measures (sentences)"),
    "chapter": ("章", "Chapters"), "population": ("服务对象", "Populations"), "body": ("机构", "Bodies"),
    "programme": ("工作品牌与活动", "Programmes"), "slogan": ("口号", "Slogans"), "law": ("法律法规", "Laws"),
    "publication": ("文件", "Publications"), "indicator": ("指标", "Indicators"),
}


def search_page(request: Request, results) -> Response:
    """``results``: the ``SearchResults`` model of ``/search``."""
    services = request.app.state.services
    base = services.base_url
    lang = language(request)
    groups = [{"kind": group.kind, "name": KIND_NAMES[group.kind][0 if lang == "zh" else 1], "total": group.total,
               "results": group.results} for group in results.groups]
    return page(request, "search.html", base, results=results, groups=groups)
