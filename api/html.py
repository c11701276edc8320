"""Server-rendered pages: one Jinja environment, the site layout, the language and its texts, the search box.

Every page extends ``templates/base.html`` (navigation, one search box, a
zh/en switch, phone-width layout, skip link) and is rendered by
:func:`page`. The language of the interface follows the reader:
``?lang=zh`` or ``?lang=en``, else the ``policykg_lang`` cookie that an
earlier ``?lang=`` set (:class:`LanguageCookie`), else the first of
``zh``/``en`` the browser's ``Accept-Language`` prefers, else Chinese, the
corpus's own. Every interface text comes from ``interface-texts.yaml`` (one
table, loaded once): templates call ``t("key")``, Python :func:`text` and
:func:`texts`. Texts of the corpus are always shown as printed, with the
project's English labels beside them. Pages work without JavaScript;
scripts only add to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import yaml
from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policykg.api import negotiation
from policykg.errors import PolicyKGError

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
TEXTS_FILE = Path(__file__).parent / "interface-texts.yaml"
HTML = "text/html"
LANGUAGES = ("zh", "en")
COMMON = "common"  # the section of texts every page may use
LANG_COOKIE = "policykg_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600  # a year, in seconds
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Han ideographs, CJK punctuation and full-width forms: what a Chinese text has and an English one has not.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


# --------------------------------------------------------------------------- the interface texts
class InterfaceTextError(PolicyKGError):
    """``interface-texts.yaml`` is malformed: the message names the file, the line and the key."""

    def __init__(self, file: Path, line: int, key: str, problem: str):
        self.file, self.line, self.key = file, line, key
        super().__init__(f"{file}, line {line}: {key}: {problem}")


@dataclass(frozen=True)
class InterfaceText:
    """One entry of the table, with where it stands (for messages and the schema test)."""

    section: str
    key: str
    zh: str
    en: str
    line: int


def _mapping(node: yaml.Node, file: Path, where: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    """A mapping node's pairs; a key given twice is an error (YAML would keep the last one silently)."""
    if not isinstance(node, yaml.MappingNode):
        raise InterfaceTextError(file, node.start_mark.line + 1, where or "(file)", "expected a mapping")
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise InterfaceTextError(file, key.start_mark.line + 1, where or "(file)", "a key must be a plain word")
        line = key.start_mark.line + 1
        if key.value in seen:
            raise InterfaceTextError(file, line, f"{where}.{key.value}".lstrip("."),
                                     f"given twice (first on line {seen[key.value]})")
        seen[key.value] = line
    return node.value


def read_texts(file: Path = TEXTS_FILE) -> list[InterfaceText]:
    """Every entry of the file, checked: sections of ``key: {zh: …, en: …}``, both non-empty, Chinese in zh
    and none in en, no key twice in a section, no section key that ``common`` has too."""
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise InterfaceTextError(file, 0, "(file)", f"cannot be read: {error}") from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InterfaceTextError(file, mark.line + 1 if mark else 0, "(syntax)", str(error.problem)) from error
    if root is None:
        raise InterfaceTextError(file, 1, "(file)", "is empty")
    found: list[InterfaceText] = []
    for section_node, entries in _mapping(root, file, ""):
        section = section_node.value
        if not KEY.fullmatch(section):
            raise InterfaceTextError(file, section_node.start_mark.line + 1, section, "not a section name")
        for key_node, entry in _mapping(entries, file, section):
            key, line = f"{section}.{key_node.value}", key_node.start_mark.line + 1
            if not KEY.fullmatch(key_node.value):
                raise InterfaceTextError(file, line, key, "a key is a word of letters, digits, _ and -")
            pairs = {k.value: v for k, v in _mapping(entry, file, key)}
            if set(pairs) != set(LANGUAGES):
                raise InterfaceTextError(file, line, key, f"needs exactly zh and en, has {', '.join(sorted(pairs)) or 'neither'}")
            values = {}
            for lang, value in pairs.items():
                if not isinstance(value, yaml.ScalarNode) or value.tag != "tag:yaml.org,2002:str" or not value.value.strip():
                    raise InterfaceTextError(file, value.start_mark.line + 1, f"{key}.{lang}", "must be a non-empty text")
                values[lang] = value.value
            if not CJK.search(values["zh"]):
                raise InterfaceTextError(file, line, f"{key}.zh", f"has no Chinese: {values['zh']!r}")
            if CJK.search(values["en"]):
                raise InterfaceTextError(file, line, f"{key}.en", f"has Chinese: {values['en']!r}")
            found.append(InterfaceText(section, key_node.value, values["zh"], values["en"], line))
    common = {entry.key for entry in found if entry.section == COMMON}
    for entry in found:
        if entry.section != COMMON and entry.key in common:
            raise InterfaceTextError(file, entry.line, f"{entry.section}.{entry.key}",
                                     f"{COMMON} has this key too: one of them would hide the other")
    return found


@lru_cache(maxsize=1)
def interface_texts() -> dict[str, dict[str, tuple[str, str]]]:
    """The table, read once: section -> key -> (zh, en)."""
    table: dict[str, dict[str, tuple[str, str]]] = {}
    for entry in read_texts():
        table.setdefault(entry.section, {})[entry.key] = (entry.zh, entry.en)
    return table


def text(section: str, key: str, lang: str, **values: object) -> str:
    """One interface text in ``lang`` (from ``section``, else ``common``), its ``{name}`` fields filled in."""
    table = interface_texts()
    if section not in table:
        raise KeyError(f"no section {section!r} in {TEXTS_FILE.name}")
    pair = table[section].get(key) or table[COMMON].get(key)
    if pair is None:
        raise KeyError(f"no interface text {key!r} in section {section!r} or {COMMON!r} of {TEXTS_FILE.name}")
    found = pair[LANGUAGES.index(lang)]
    return found.format(**values) if values else found


def period_text(period: str, section: str, lang: str) -> str:
    """An observation's period in words, by ``section``'s ``as_of``, ``cumulative`` and ``year`` texts.

    The graph writes a period as ``2022`` (the year), ``2021/2022`` (since 2021, cumulative) or
    ``..2022-12-31`` (as of that day); anything else is shown as it is.
    """
    if period.startswith(".."):
        return text(section, "as_of", lang, day=period[2:])
    if "/" in period:
        first, last = period.split("/", 1)
        return text(section, "cumulative", lang, first=first, last=last)
    return text(section, "year", lang, period=period) if re.fullmatch(r"[0-9]{4}", period) else period


def texts(section: str, lang: str) -> dict[str, str]:
    """A page's texts in one language: ``common``'s, and its section's."""
    table = interface_texts()
    if section not in table:
        raise KeyError(f"no section {section!r} in {TEXTS_FILE.name}")
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in {**table[COMMON], **table[section]}.items()}


@pass_context
def _template_text(context: Context, key: str, lang: str | None = None, **values: object) -> str:
    """``t("key")`` in a template: the page's section (the context's ``text_section``) then common, in the
    context's ``lang``; ``t("section.key")`` names the section; ``lang=`` picks the other language."""
    section, _, name = key.rpartition(".")
    return text(section or context.get("text_section") or COMMON, name, lang or context["lang"], **values)


templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
templates.globals["t"] = _template_text


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
    """``zh`` or ``en``: ``?lang=`` first, then the cookie an earlier ``?lang=`` set, then ``Accept-Language``,
    else ``zh``."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return chosen
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "zh"


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
                    headers={"Vary": "Accept, Accept-Language, Cookie"})


# --------------------------------------------------------------------------- the language a reader chose
def cookie_language(header: str) -> str | None:
    """The language the ``policykg_lang`` cookie of a ``Cookie`` header names, if it names one of ours."""
    chosen = cookie_parser(header).get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else None


def _vary(headers: list[tuple[bytes, bytes]], *names: str) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``names`` added to the ``Vary`` header (once each, in one header)."""
    present = [value.decode("latin-1") for key, value in headers if key.lower() == b"vary"]
    tokens = [token.strip() for value in present for token in value.split(",") if token.strip()]
    tokens += [name for name in names if name.lower() not in {token.lower() for token in tokens}]
    return [(key, value) for key, value in headers if key.lower() != b"vary"] + \
        [(b"vary", ", ".join(tokens).encode("latin-1"))]


class LanguageCookie:
    """ASGI middleware: the language chosen with ``?lang=`` is remembered, so that the next page without it
    (a link typed or bookmarked, a form) comes up in the same language.

    An HTML answer (or a 304 for one) to a request with ``?lang=zh|en`` sets the ``policykg_lang`` cookie
    (Path=/, SameSite=Lax, a year) unless the request already carried that value; every HTML answer says
    ``Vary: Accept-Language, Cookie``, since its language may come from either. Outside the answer cache,
    so that no Set-Cookie is ever stored with a cached answer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        chosen = dict(parse_qsl(query.decode("latin-1"))).get("lang") if query else None
        remember = None
        if chosen in LANGUAGES:
            cookie = b"; ".join(value for key, value in scope["headers"] if key == b"cookie").decode("latin-1")
            remember = chosen if cookie_language(cookie) != chosen else None

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                media = next((value for key, value in headers if key.lower() == b"content-type"), b"")
                if media.startswith(HTML.encode()) or message["status"] == 304:
                    headers = _vary(headers, "Accept-Language", "Cookie")
                    if remember:
                        headers.append((b"set-cookie", f"{LANG_COOKIE}={remember}; Max-Age={LANG_COOKIE_AGE}; "
                                                       "Path=/; SameSite=Lax".encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_language)
