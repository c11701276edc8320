"""The network picture at ``/network``: plan items, the populations they serve and the bodies they involve.

The picture is the item–population–body part of the entity network of
:mod:`policykg.api.analytics` (its ``servesPopulation`` edges and its five body
relations), drawn on the server as inline SVG in a layered layout: the
populations in the left column, the items in the middle grouped under their
chapters (in plan order), the bodies in the right column. Each side column is
ordered by the mean height of the items a node is linked to (the barycentre
heuristic, ties and unlinked nodes by id), so the same data always gives the
same picture, byte for byte. Every node is a link to its ``/id/…`` page with a
``<title>``; population edges are solid (primary) or dashed (mentioned), body
edges are coloured and dashed by role.

Filters are GET parameters, so the page works without JavaScript:

* ``chapter=5`` -- only the items of chapter 5;
* ``population=couriers`` -- only the items serving the population or one of its
  narrower populations (``skos:broader``, followed transitively), and of their
  population edges only those to that population and its narrower ones;
* ``role=lead`` -- only the items with a body edge of that role, and of their
  body edges only those of that role (their population edges stay).

Filters combine (all must hold). The populations and bodies shown are the
ends of the edges shown (and the chosen population); only the unfiltered
picture also shows the populations and bodies no item links to. An empty
parameter means no filter (what the form sends for "all"); any other value
that is not a chapter, population or role gives a 400 page listing the valid
ones. ``static/network.js`` filters the full picture in place without a
reload and highlights a node's neighbours on hover and focus; below the
picture a table lists every edge shown, the text alternative.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from policykg.api.analytics import BODY_RELATIONS, entity_graph, id_key
from policykg.api.deps import Services, ServicesDep
from policykg.api.html import language, page, texts

router = APIRouter(tags=["pages"])

ROLES = ("lead", "partner", "supported", "addressed", "involved")
SECTION = "network"  # the page's texts in interface-texts.yaml (role_*, salience_*, summary …)
# Presentation attributes, so that the SVG reads without the page's stylesheet too (network.css refines them).
ROLE_STYLE = {"lead": ("#b03a2e", "2.4", ""), "partner": ("#b9770e", "1.8", "7 3"),
              "supported": ("#1e8449", "1.8", "2 3"), "addressed": ("#7d3c98", "1.6", "9 3 2 3"),
              "involved": ("#808b96", "1.1", "")}
SALIENCE_STYLE = {"primary": ("#5d6d7e", "1.2", ""), "mentioned": ("#85929e", "1", "4 3")}
NODE_FILL = {"item": "#34495e", "population": "#2874a6", "body": "#ca6f1e"}


# --------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # item, population or body
    label_zh: str
    label_en: str | None
    path: str
    number: int = 0  # items
    chapter: int = 0  # items
    broader: tuple[str, ...] = ()  # populations


@dataclass(frozen=True)
class Edge:
    item: str  # the source of the RDF statement
    target: str  # a population or a body
    kind: str  # population or body
    relation: str
    role: str | None = None
    salience: str | None = None


@dataclass(frozen=True)
class Network:
    nodes: dict[str, Node]  # items, populations, bodies, in id order
    edges: tuple[Edge, ...]  # in the entity graph's order
    chapters: dict[int, tuple[str, str | None]]  # number -> (zh, en) title, chapters that have items
    narrower: dict[str, tuple[str, ...]]  # population -> its direct narrower populations

    def of_kind(self, kind: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.kind == kind]

    def below(self, population: str) -> set[str]:
        """The population and every narrower one, transitively."""
        found, stack = {population}, [population]
        while stack:
            for child in self.narrower.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found


def build_network(services: Services) -> Network:
    graph = entity_graph(services).graph
    chapter_of: dict[str, int] = {}
    broader: dict[str, list[str]] = defaultdict(list)
    edges = []
    for source, target, data in graph.edges(data=True):
        relation = data["relation"]
        if relation == "chapter":
            chapter_of[source] = int(target.rsplit("/", 1)[1])
        elif relation == "broader":
            broader[source].append(target)
        elif relation == "servesPopulation":
            edges.append(Edge(source, target, "population", relation, salience=data.get("salience")))
        elif relation in BODY_RELATIONS:
            edges.append(Edge(source, target, "body", relation, role=data.get("role", "involved")))
    nodes: dict[str, Node] = {}
    chapters: dict[int, tuple[str, str | None]] = {}
    for ident, data in sorted(graph.nodes(data=True), key=lambda pair: id_key(pair[0])):
        kind = data["kind"]
        if kind not in ("item", "population", "body"):
            continue
        label = data.get("label_zh", ident)
        if kind == "item":
            number = int(ident.rsplit("/", 1)[1])
            chapter = chapter_of.get(ident, 0)
            nodes[ident] = Node(ident, kind, label, data.get("label_en"), data["path"], number, chapter)
            if chapter and chapter not in chapters:
                chapter_data = graph.nodes.get(f"chapter/{chapter}", {})
                chapters[chapter] = (chapter_data.get("label_zh", ""), chapter_data.get("label_en"))
        else:
            nodes[ident] = Node(ident, kind, label, data.get("label_en"), data["path"],
                                broader=tuple(sorted(broader.get(ident, ()), key=id_key)))
    narrower: dict[str, list[str]] = defaultdict(list)
    for child, parents in broader.items():
        for parent in parents:
            narrower[parent].append(child)
    return Network(nodes=nodes, edges=tuple(e for e in edges if e.item in nodes and e.target in nodes),
                   chapters=dict(sorted(chapters.items())),
                   narrower={parent: tuple(sorted(children, key=id_key)) for parent, children in narrower.items()})


def network(services: Services) -> Network:
    return services.cached("network-page", lambda: build_network(services))


# --------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    chapter: int | None = None
    population: str | None = None  # slug
    role: str | None = None

    @property
    def active(self) -> bool:
        return self.chapter is not None or self.population is not None or self.role is not None


class InvalidFilter(Exception):
    def __init__(self, name: str, value: str, valid: list[tuple[str, str]]):
        super().__init__(name, value)
        self.name, self.value, self.valid = name, value, valid


def parse_filters(net: Network, request: Request, lang: str) -> Filters:
    """The filters of the query string; an empty value is no filter, an unknown one is InvalidFilter."""
    params = request.query_params
    chapter = params.get("chapter", "").strip()
    population = params.get("population", "").strip()
    role = params.get("role", "").strip()
    if chapter and not (chapter.isascii() and chapter.isdigit() and int(chapter) in net.chapters):
        raise InvalidFilter("chapter", chapter, [(str(n), title) for n, (title, _) in net.chapters.items()])
    population = population.removeprefix("population/")
    if population and f"population/{population}" not in net.nodes:
        raise InvalidFilter("population", population,
                            [(node.id.split("/", 1)[1], node.label_zh) for node in net.of_kind("population")])
    if role and role not in ROLES:
        t = texts(SECTION, lang)
        raise InvalidFilter("role", role, [(name, t[f"role_{name}"]) for name in ROLES])
    return Filters(int(chapter) if chapter else None, population or None, role or None)


@dataclass(frozen=True)
class Selection:
    items: list[Node]
    populations: list[Node]
    bodies: list[Node]
    edges: list[Edge]
    chosen: frozenset[str]  # the chosen population and its narrower ones


def select(net: Network, filters: Filters) -> Selection:
    """The items passing every filter, the edges of theirs the filters let through, and the ends of those edges."""
    chosen = frozenset(net.below(f"population/{filters.population}")) if filters.population else frozenset()

    def edge_passes(edge: Edge) -> bool:
        if edge.kind == "population":
            return not chosen or edge.target in chosen
        return filters.role is None or edge.role == filters.role

    by_item: dict[str, list[Edge]] = defaultdict(list)
    for edge in net.edges:
        if edge_passes(edge):
            by_item[edge.item].append(edge)
    items = []
    for item in net.of_kind("item"):
        if filters.chapter is not None and item.chapter != filters.chapter:
            continue
        kinds = {edge.kind for edge in by_item[item.id]}
        if chosen and "population" not in kinds:
            continue
        if filters.role is not None and "body" not in kinds:
            continue
        items.append(item)
    kept = {item.id for item in items}
    edges = [edge for edge in net.edges if edge.item in kept and edge_passes(edge)]
    if filters.active:
        ends = {edge.target for edge in edges}
        if filters.population:
            ends.add(f"population/{filters.population}")
        populations = [node for node in net.of_kind("population") if node.id in ends]
        bodies = [node for node in net.of_kind("body") if node.id in ends]
    else:
        populations, bodies = net.of_kind("population"), net.of_kind("body")
    return Selection(items, populations, bodies, edges, chosen)


# --------------------------------------------------------------------------- layout
WIDTH = 900
X = {"population": 270, "item": 450, "body": 630}
TOP = 58  # below the column headings
ROW = 20
ITEM_RADIUS, SIDE_RADIUS = 9, 5


def _num(value: float) -> str:
    """Coordinates with one decimal, written the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    columns: list[dict]
    chapters: list[dict]
    nodes: list[dict]
    edges: list[dict]


def layout(net: Network, sel: Selection, lang: str) -> Picture:
    """A layered layout: populations | items by chapter | bodies, side columns ordered by barycentre."""
    t = texts(SECTION, lang)
    slots: list[tuple[str, object]] = []  # the middle column: chapter headings and items
    previous = None
    for item in sel.items:
        if item.chapter != previous:
            slots.append(("chapter", item.chapter))
            previous = item.chapter
        slots.append(("item", item))
    rows = max(len(slots), len(sel.populations), len(sel.bodies), 1)
    content = rows * ROW
    height = TOP + content + 16

    def spread(count: int) -> list[float]:
        step = content / count if count else 0
        return [TOP + (position + 0.5) * step for position in range(count)]

    y: dict[str, float] = {}
    chapters = []
    for (kind, value), at in zip(slots, spread(len(slots))):
        if kind == "chapter":
            number = int(value)  # type: ignore[arg-type]
            title = net.chapters.get(number, ("", None))
            heading = t["chapter_heading"].format(number=number)
            chapters.append({"x": _num(X["item"]), "y": _num(at + 4), "text": heading, "number": number,
                             "title": title[0]})
        else:
            y[value.id] = at  # type: ignore[union-attr]
    linked: dict[str, list[float]] = defaultdict(list)
    for edge in sel.edges:
        linked[edge.target].append(y[edge.item])

    def ordered(nodes: list[Node]) -> list[Node]:
        return sorted(nodes, key=lambda n: (0, round(fmean(linked[n.id]), 6), id_key(n.id))
                      if linked[n.id] else (1, 0.0, id_key(n.id)))

    for column in ("population", "body"):
        members = ordered(sel.populations if column == "population" else sel.bodies)
        for node, at in zip(members, spread(len(members))):
            y[node.id] = at
    nodes = []
    for node in [*sel.items, *sel.populations, *sel.bodies]:
        x, at = X[node.kind], y[node.id]
        if node.kind == "item":
            title = t["item_number"].format(number=node.number) + t["colon"] + node.label_zh
            if lang == "en" and node.label_en:
                title += f" ({node.label_en})"
            label, label_x, anchor, radius = str(node.number), x, "middle", ITEM_RADIUS
        else:
            title = node.label_zh + (f" · {node.label_en}" if node.label_en else "")
            label, radius = node.label_zh, SIDE_RADIUS
            label_x, anchor = (x - 10, "end") if node.kind == "population" else (x + 10, "start")
        nodes.append({
            "id": node.id, "kind": node.kind, "path": node.path, "title": title, "label": label,
            "cx": _num(x), "cy": _num(at), "r": str(radius), "tx": _num(label_x), "ty": _num(at + 4),
            "anchor": anchor, "fill": NODE_FILL[node.kind], "chapter": node.chapter,
            "broader": " ".join(node.broader), "linked": bool(linked[node.id]) or node.kind == "item",
            "chosen": node.id in sel.chosen,
        })
    edges = []
    for edge in sel.edges:
        y1, y2 = y[edge.target], y[edge.item]
        if edge.kind == "population":
            x1, x2 = X["population"] + SIDE_RADIUS, X["item"] - ITEM_RADIUS
            stroke, width, dash = SALIENCE_STYLE.get(edge.salience or "", SALIENCE_STYLE["primary"])
        else:
            x1, x2 = X["body"] - SIDE_RADIUS, X["item"] + ITEM_RADIUS
            stroke, width, dash = ROLE_STYLE[edge.role or "involved"]
        middle = (x1 + x2) / 2
        edges.append({
            "source": edge.item, "target": edge.target, "kind": edge.kind, "role": edge.role or "",
            "salience": edge.salience or "", "stroke": stroke, "width": width, "dash": dash,
            "d": f"M{_num(x1)} {_num(y1)}C{_num(middle)} {_num(y1)} {_num(middle)} {_num(y2)} {_num(x2)} {_num(y2)}",
        })
    headings = [("population", "populations", "end", X["population"] + SIDE_RADIUS),
                ("item", "items", "middle", X["item"]),
                ("body", "bodies", "start", X["body"] - SIDE_RADIUS)]
    columns = [{"kind": kind, "text": t[key], "anchor": anchor, "x": _num(x), "y": "28"}
               for kind, key, anchor, x in headings]
    return Picture(WIDTH, int(height), columns, chapters, nodes, edges)


# --------------------------------------------------------------------------- the page
def _options(net: Network, filters: Filters, lang: str) -> dict[str, list[dict]]:
    t = texts(SECTION, lang)

    def chapter(number: int, zh: str, en: str | None) -> str:
        title = zh if lang == "zh" else en
        return t["chapter_option"].format(number=number, title=title) if title else \
            t["chapter_heading"].format(number=number)

    chapters = [{"value": str(n), "text": chapter(n, zh, en), "selected": filters.chapter == n}
                for n, (zh, en) in net.chapters.items()]

    populations: list[dict] = []
    listed: set[str] = set()

    def walk(node: Node, level: int) -> None:
        listed.add(node.id)
        slug = node.id.split("/", 1)[1]
        english = f" ({node.label_en})" if lang == "en" and node.label_en else ""
        populations.append({"value": slug, "text": "\u3000" * level + node.label_zh + english,
                            "selected": filters.population == slug})
        for child in net.narrower.get(node.id, ()):
            if child not in listed:
                walk(net.nodes[child], level + 1)

    # the scheme as a tree: each population once, under the first of its broader ones (in id order)
    for node in [n for n in net.of_kind("population") if not n.broader] + net.of_kind("population"):
        if node.id not in listed:
            walk(node, 0)
    roles = [{"value": name, "text": t[f"role_{name}"], "selected": filters.role == name} for name in ROLES]
    return {"chapter": chapters, "population": populations, "role": roles}


def _names(node: Node, lang: str) -> dict:
    return {"id": node.id, "path": node.path, "label": node.label_zh,
            "label_en": node.label_en if lang == "en" else None, "number": node.number}


def _rows(net: Network, sel: Selection, lang: str) -> list[dict]:
    t = texts(SECTION, lang)
    rows = []
    for edge in sorted(sel.edges, key=lambda e: (net.nodes[e.item].chapter, net.nodes[e.item].number,
                                                 e.kind != "population", ROLES.index(e.role) if e.role else -1,
                                                 id_key(e.target))):
        if edge.kind == "population":
            relation, qualifier = t["population_edge"], t.get(f"salience_{edge.salience}")
        else:
            relation, qualifier = t["body_edge"], t[f"role_{edge.role or 'involved'}"]
        if qualifier:
            relation = t["qualified"].format(relation=relation, qualifier=qualifier)
        rows.append({"item": _names(net.nodes[edge.item], lang), "target": _names(net.nodes[edge.target], lang),
                     "relation": relation, "kind": edge.kind, "role": edge.role or "",
                     "source_id": edge.item, "target_id": edge.target})
    return rows


@router.get("/network", response_class=HTMLResponse,
            summary="the item–population–body network as a picture (SVG in an HTML page), filterable",
            responses={400: {"description": "an unknown chapter, population or role (an HTML page listing the "
                                            "valid values)", "content": {"text/html": {"schema": {"type": "string"}}}}})
def network_page(request: Request, services: ServicesDep) -> Response:
    """An HTML page: the network of items, populations and bodies as inline SVG (a layered
    layout), filtered by ``chapter`` (1-12), ``population`` (a slug; narrower populations
    included) and ``role`` (lead, partner, supported, addressed, involved), with a table of the
    links shown. An unknown filter value gives a 400 page listing the valid ones."""
    lang = language(request)
    base = services.base_url
    net = network(services)
    t = texts(SECTION, lang)
    try:
        filters = parse_filters(net, request, lang)
    except InvalidFilter as error:
        message = t["not_valid"].format(value=error.value, name=t[error.name], param=error.name)
        return page(request, "network.html", base, status=400, text_section=SECTION, error=message,
                    error_param=error.name,
                    valid=error.valid, valid_lang="zh" if error.name != "role" else lang,
                    options=_options(net, Filters(), lang), filters=Filters(),
                    picture=None, rows=[], unlinked=[], summary="", summary_template="", role_styles=[],
                    salience_styles=[])
    sel = select(net, filters)
    picture = layout(net, sel, lang)
    faded = {node["id"] for node in picture.nodes if not node["linked"]}
    unlinked = [_names(n, lang) for n in [*sel.populations, *sel.bodies] if n.id in faded]
    summary = t["summary"].format(items=len(sel.items), populations=len(sel.populations), bodies=len(sel.bodies),
                                  edges=len(sel.edges))
    role_styles = [{"role": name, "text": t[f"role_{name}"], "stroke": s, "width": w, "dash": d}
                   for name, (s, w, d) in ROLE_STYLE.items()]
    salience_styles = [{"salience": name, "text": t[f"salience_{name}"], "stroke": s, "width": w, "dash": d}
                       for name, (s, w, d) in SALIENCE_STYLE.items()]
    return page(request, "network.html", base, text_section=SECTION, error=None, error_param=None, valid=[],
                valid_lang=lang, options=_options(net, filters, lang), filters=filters, picture=picture,
                rows=_rows(net, sel, lang), unlinked=unlinked, summary=summary, summary_template=t["summary"],
                role_styles=role_styles,
                salience_styles=salience_styles)
