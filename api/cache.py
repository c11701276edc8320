"""HTTP caching of a read-only graph: ETags, conditional GET, and a bounded answer cache.

The embedded store never changes while the server runs, so an answer to the
same GET (path, query string, Accept) is the same bytes until the next build.
This ASGI middleware therefore

* tags every successful GET answer with an ``ETag`` derived from the build
  (the SHA-256 of the served TriG file, as ``dist/manifest.json`` records it)
  and answers ``If-None-Match`` with 304, as legislation.gov.uk or Wikidata's
  entity data do;
* keys each answer on what it depends on: the path, the query string, ``Accept``,
  ``Accept-Language`` and the reader's chosen language (the value of the
  ``policykg_lang`` cookie alone, not the whole ``Cookie`` header: a page's
  language follows ``?lang=``, that cookie, then ``Accept-Language``), so an
  answer is never served in another language than the one asked for;
* keeps up to ``max_entries`` answers of at most ``max_bytes`` each (least
  recently used first out) and serves them again without running a query.

``/sparql`` is left out: a user's query always runs (under its time limit).
With a remote backend the data can change behind the server, so
:func:`policykg.api.app.create_app` installs this only for the embedded store.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policykg.api.html import cookie_language
from policykg.manifest import expected_entry, hash_file

UNCACHED_PREFIXES = ("/sparql", "/query", "/docs", "/redoc")  # a user's query always runs


def build_tag(data: Path) -> str:
    """The build's identity: the TriG file's SHA-256 from ``manifest.json`` beside it, else computed.

    An on-disk store folder (``policykg index``) is identified by its files' names, sizes and
    modification times: ``policykg index`` writes a new folder, so a re-indexed store gets a new tag.
    """
    if data.is_dir():
        listing = sorted((str(path.relative_to(data)), path.stat().st_size, path.stat().st_mtime_ns)
                         for path in data.rglob("*") if path.is_file())
        return hashlib.sha256(repr(listing).encode()).hexdigest()[:32]
    recorded = expected_entry(data)
    if recorded is not None and data.stat().st_size == recorded.bytes:
        return recorded.sha256[:32]
    return hash_file(data).sha256[:32]  # no manifest, or not this file: hash the file itself


class AnswerCache:
    """ASGI middleware: ETag/304 for every GET, and a bounded cache of whole answers."""

    def __init__(self, app: ASGIApp, tag: str, max_entries: int = 2048, max_bytes: int = 1 << 20):
        self.app = app
        self.tag = tag
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[Message, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or \
                scope["path"].startswith(UNCACHED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        # What an answer depends on: the URL, the negotiated headers, the language a reader chose (pages only).
        cookie = b"; ".join(value for name, value in scope["headers"] if name == b"cookie").decode("latin-1")
        chosen = cookie_language(cookie) or ""
        key = (scope["method"], scope["path"], scope["query_string"], headers.get(b"accept", b""),
               headers.get(b"accept-language", b""), chosen)
        etag = f'"{self.tag}-{hashlib.sha1(repr(key[1:]).encode()).hexdigest()[:12]}"'.encode()
        if etag in [tag.strip() for tag in headers.get(b"if-none-match", b"").split(b",")]:
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", etag)]})
            await send({"type": "http.response.body", "body": b""})
            return
        cached = self.entries.get(key)
        if cached is not None:
            self.entries.move_to_end(key)
            start, body = cached
            # a fresh message each time: outer middleware (CORS) edits the headers of what it is sent
            await send({**start, "headers": list(start["headers"])})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, self._recording(key, etag, send))

    def _recording(self, key: tuple, etag: bytes, send: Send) -> Send:
        state: dict = {"start": None, "chunks": [], "size": 0}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    message = {**message, "headers": [*message.get("headers", []), (b"etag", etag)]}
                    state["start"] = {**message, "headers": list(message["headers"])}
            elif message["type"] == "http.response.body" and state["start"] is not None:
                state["chunks"].append(message.get("body", b""))
                state["size"] += len(message.get("body", b""))
                if not message.get("more_body", False) and state["size"] <= self.max_bytes:
                    self.entries[key] = (state["start"], b"".join(state["chunks"]))
                    if len(self.entries) > self.max_entries:
                        self.entries.popitem(last=False)
            await send(message)

        return recording_send
