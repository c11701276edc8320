"""Server-rendered pages: one Jinja environment, the site layout, the language switch and the search box.

Every page extends ``templates/base.html`` (navigation, one search box, a
zh/en switch, phone-width layout, skip link) and is rendered by
:func:`page`. The language of the interface is ``?lang=zh`` or ``?lang=en``
(default: the first of ``zh``/``en`` the browser's ``Accept-Language``
prefers, else Chinese, the corpus's own); texts of the corpus are always
shown as printed, with the project's English labels beside them.
Pages work without JavaScript; scripts only add to them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from policykg.api import negotiation

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
HTML = "text/html"
LANGUAGES = ("zh", "en")

templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)


def render(template: str, **context: object) -> bytes:
    """A template rendered to UTF-8 bytes (the caller supplies every name it uses: undefined names fail)."""
    return templates.get_template(template).render(**context).encode("utf-8")


def wants_html(request: Request) -> bool:
    """Whether the client prefers HTML to JSON (a browser does; curl, fetch and API clients do not)."""
    accept = request.headers.get("accept")
    if not accept or HTML not in accept:
        return False
    return negotiation.negotiate(accept, ["application/json", HTML]) == HTML  # a tie goes to JSON


def language(request: Request) -> str:
    """``zh`` or ``en``: ``?lang=`` first, then ``Accept-Language``, else ``zh``."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "zh"


def in_language(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or the English of an interface text written as a ``(zh, en)`` pair."""
    return pair[LANGUAGES.index(lang)]


def texts(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    """A page's table of interface texts (``{key: (zh, en)}``) in one language."""
    return {key: in_language(pair, lang) for key, pair in table.items()}


def site_context(request: Request, base: str = "") -> dict[str, object]:
    """What base.html needs: the base URL, the language, the other language's link, the search words."""
    lang = language(request)
    other = "en" if lang == "zh" else "zh"
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    switch = request.url.path + "?" + urlencode([*params, ("lang", other)])
    return {"base": base, "lang": lang, "other_lang": other, "lang_switch": switch,
            "q": request.query_params.get("q", "") if request.url.path == "/search" else "",
            "path": request.url.path}


def page(request: Request, template: str, base: str = "", status: int = 200, **context: object) -> Response:
    """An HTML page in the site layout; ``Vary`` because the same URL also answers JSON or RDF."""
    body = render(template, **site_context(request, base), **context)
    return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Vary": "Accept, Accept-Language"})
