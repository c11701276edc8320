"""Graph analytics with networkx: neighbours, paths, centrality, GraphML/GEXF export.

The entity network is built once per app (the store does not change while it
serves) from two named queries: ``graph-nodes`` (every plan item, chapter,
population and body, and the programmes, laws, indicators and later tasks an
edge reaches, with kind and labels) and ``graph-edges`` (item → chapter,
population, body, programme or law; indicator → item; task → item; population
→ broader population; body → parent body). It is a ``networkx.MultiDiGraph``
whose nodes are ``kind/slug`` ids (``item/16``, ``population/women-workers``,
the path of the resource after ``/id/``) and whose edges keep the direction of
the RDF statement and carry its relation (the property's local name:
``servesPopulation``, ``leadBody`` …) with the qualifier of the item-level
statement node (``role`` of a body, ``salience`` of a population, ``score`` of
a continuity link). A body an item both leads and merely names is two edges.

Reach and paths ignore direction (a population and a body are linked through
the item that serves one and involves the other) but every edge reported keeps
its real direction. A ``relation`` filter restricts the edges walked;
``involvesBody`` stands for all five body relations (its sub-properties
included), as in RDF.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Literal

import networkx as nx
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from policykg.api.deps import Services, ServicesDep
from policykg.api.errors import ERROR_RESPONSES, ApiError, NotFound
from policykg.namespaces import ID, ORG, POL, SKOS

router = APIRouter(tags=["graph analytics"])

BASE = str(ID)
KINDS = ("item", "chapter", "population", "body", "programme", "law", "slogan", "publication", "indicator", "task")
# Relation name (the property's local name) -> property IRI, in the order the API lists them.
RELATIONS: dict[str, str] = {
    "chapter": str(POL.chapter),
    "servesPopulation": str(POL.servesPopulation),
    "involvesBody": str(POL.involvesBody),
    "leadBody": str(POL.leadBody),
    "partnerBody": str(POL.partnerBody),
    "supportedBody": str(POL.supportedBody),
    "addressedBody": str(POL.addressedBody),
    "mentions": str(POL.mentions),
    "statedIn": str(POL.statedIn),
    "continues": str(POL.continues),
    "broader": str(SKOS.broader),
    "subOrganizationOf": str(ORG.subOrganizationOf),
}
RELATION_NAMES = {iri: name for name, iri in RELATIONS.items()}
BODY_RELATIONS = ("involvesBody", "leadBody", "partnerBody", "supportedBody", "addressedBody")
ROLES = {str(POL.LeadRole): "lead", str(POL.PartnerRole): "partner", str(POL.SupportedRole): "supported",
         str(POL.AddressedRole): "addressed", str(POL.InvolvedRole): "involved"}
SALIENCES = {str(POL.Primary): "primary", str(POL.Mentioned): "mentioned"}
PREFIXES = {str(POL._NS): "pol:", str(SKOS): "skos:", str(ORG): "org:"}
# Kinds whose label names a node best in a path's text; the others read better by id (item 18).
NAMED_KINDS = frozenset({"population", "body", "programme", "law", "slogan", "publication"})

MAX_NODES = 2000
PATH_COUNT_CAP = 10_000
FORMATS = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}
EXPORT_RESPONSES: dict[int | str, dict] = {
    200: {"content": {media: {"schema": {"type": "string"}} for media in FORMATS.values()}},
    **ERROR_RESPONSES,
}

RelationName = Literal[
    "chapter", "servesPopulation", "involvesBody", "leadBody", "partnerBody", "supportedBody", "addressedBody",
    "mentions", "statedIn", "continues", "broader", "subOrganizationOf",
]
KindName = Literal["item", "chapter", "population", "body", "programme", "law", "slogan", "publication", "indicator",
                   "task"]
Format = Literal["json", "graphml", "gexf"]
Measure = Literal["degree", "betweenness", "pagerank"]

RELATION_QUERY = Query(
    description="only walk edges of these relations (repeat the parameter for several); "
                      "involvesBody includes its sub-properties leadBody, partnerBody, supportedBody, addressedBody")
FORMAT_QUERY = Query(description="json (default), or graphml / gexf for Gephi, yEd, Cytoscape")


# --------------------------------------------------------------------------- response models
class GraphNode(BaseModel):
    id: str = Field(description="kind/slug: the resource's path after /id/", examples=["population/women-workers"])
    kind: str = Field(description="item, chapter, population, body, programme, law, slogan, publication, indicator or task")
    rdf_class: str = Field(description="the most specific class, prefixed (pol:Campaign, skos:Concept …)")
    label_zh: str | None = None
    label_en: str | None = None
    iri: str
    path: str = Field(description="where the API serves the resource (/id/kind/slug)")
    degree: int = Field(description="edges touching the node in the whole graph, both directions, parallel edges counted")
    distance: int | None = Field(None, description="hops from the centre (neighbourhoods only)")


class GraphEdge(BaseModel):
    source: str = Field(description="the subject's id: edges keep the direction of their RDF statement")
    target: str
    relation: str = Field(description="the property's local name (servesPopulation, leadBody, broader …)")
    property: str = Field(description="the property's IRI")
    role: str | None = Field(None, description="a body edge's role: lead, partner, supported, addressed or involved")
    salience: str | None = Field(None, description="a population edge's salience: primary or mentioned")
    score: float | None = Field(None, description="a continues edge's score (0-1)")


class GraphData(BaseModel):
    node_count: int
    edge_count: int
    kinds: dict[str, int] = Field(description="nodes per kind")
    relations: dict[str, int] = Field(description="edges per relation")
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class Neighbourhood(GraphData):
    centre: str
    hops: int
    relation_filter: list[str] = Field(description="the relations walked (all when empty)")
    max_nodes: int
    truncated: bool = Field(description="true when more nodes were within reach than max_nodes; the nearest were kept")


class PathStep(BaseModel):
    source: str = Field(description="the step's first node, in path order")
    target: str = Field(description="the step's second node, in path order")
    direction: Literal["forward", "backward"] = Field(
        description="forward: the edge runs source → target; backward: the edge runs target → source")
    relation: str
    role: str | None = None
    salience: str | None = None
    edges: list[GraphEdge] = Field(description="every edge between the two nodes the filter lets through (the first is the one shown)")


class GraphPath(BaseModel):
    source: str
    target: str
    length: int = Field(description="number of steps (edges)")
    relation_filter: list[str]
    shortest_paths: int = Field(description=f"how many shortest paths there are (counted up to {PATH_COUNT_CAP})")
    text: str = Field(description="the path in words, each arrow in its edge's real direction")
    nodes: list[GraphNode]
    steps: list[PathStep]


class CentralityEntry(BaseModel):
    rank: int
    id: str
    kind: str
    label_zh: str | None = None
    label_en: str | None = None
    path: str
    score: float
    degree: int = Field(description="edges touching the node, both directions, parallel edges counted")
    neighbours: int = Field(description="distinct nodes it is linked to")


class Centrality(BaseModel):
    measure: str
    description: str
    kind: str | None = Field(description="the kind ranked (all kinds when null)")
    nodes: int = Field(description="nodes of that kind in the graph")
    entries: list[CentralityEntry]


# --------------------------------------------------------------------------- the graph
@dataclass(frozen=True)
class EntityGraph:
    graph: nx.MultiDiGraph
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # skos:altLabel names, for close matches

    def node(self, node_id: str, distance: int | None = None) -> GraphNode:
        data = self.graph.nodes[node_id]
        return GraphNode(id=node_id, kind=data["kind"], rdf_class=data["rdf_class"], label_zh=data.get("label_zh"),
                         label_en=data.get("label_en"), iri=data["iri"], path=data["path"],
                         degree=self.graph.degree(node_id), distance=distance)

    @staticmethod
    def edge(source: str, target: str, data: dict) -> GraphEdge:
        return GraphEdge(source=source, target=target, relation=data["relation"], property=data["property"],
                         role=data.get("role"), salience=data.get("salience"), score=data.get("score"))

    def walkable(self, relations: frozenset[str] | None) -> nx.Graph:
        """The undirected simple graph of the edges the filter lets through (all nodes kept)."""
        walk = nx.Graph()
        walk.add_nodes_from(self.graph.nodes)
        walk.add_edges_from((u, v) for u, v, relation in self.graph.edges(data="relation")
                            if relations is None or relation in relations)
        return walk

    def edges_between(self, a: str, b: str, relations: frozenset[str] | None) -> list[GraphEdge]:
        """The edges between two nodes in either direction, a → b first, then by relation."""
        found = [self.edge(u, v, data) for u, v in ((a, b), (b, a)) if self.graph.has_edge(u, v)
                 for data in self.graph.get_edge_data(u, v).values()
                 if relations is None or data["relation"] in relations]
        return sorted(found, key=lambda e: (e.source != a, e.relation, e.role or ""))

    def induced_edges(self, nodes: Iterable[str], relations: frozenset[str] | None) -> list[tuple[str, str, str, dict]]:
        kept = set(nodes)
        return sorted(((u, v, key, data) for u, v, key, data in self.graph.edges(keys=True, data=True)
                       if u in kept and v in kept and (relations is None or data["relation"] in relations)),
                      key=lambda e: (id_key(e[0]), e[3]["relation"], id_key(e[1]), e[3].get("role", "")))

    def data(self, nodes: list[GraphNode], edges: list[tuple[str, str, str, dict]]) -> dict:
        return dict(
            node_count=len(nodes), edge_count=len(edges),
            kinds=dict(sorted(Counter(n.kind for n in nodes).items())),
            relations=dict(sorted(Counter(data["relation"] for _, _, _, data in edges).items())),
            nodes=nodes, edges=[self.edge(u, v, data) for u, v, _, data in edges],
        )


def id_key(ident: str) -> tuple:
    """The order of node ids: numbers as numbers, so item/7 comes before item/28 (ties and cuts follow it)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", ident))


def node_id(iri: str) -> str:
    return iri.removeprefix(BASE)


def build_graph(services: Services) -> EntityGraph:
    """The entity network from the graph-nodes and graph-edges queries (nodes and edges in sorted order)."""
    node_rows, edge_rows = services.run_many([("graph-nodes", {}), ("graph-edges", {})])
    graph = nx.MultiDiGraph()
    nodes: dict[str, dict] = {}
    aliases: dict[str, tuple[str, ...]] = {}
    for row in node_rows.values():
        ident = node_id(row["node"])
        if row.get("aliases"):
            aliases[ident] = tuple(sorted(set(row["aliases"].split("|"))))
        attributes = {"kind": row["node_kind"], "rdf_class": _prefixed(row["class"]), "iri": row["node"],
                      "path": f"/id/{ident}"}
        for language in ("zh", "en"):  # only labels the graph has: export formats refuse None
            if row.get(f"label_{language}"):
                attributes[f"label_{language}"] = row[f"label_{language}"]
        attributes["label"] = attributes.get("label_zh", ident)  # what Gephi shows
        nodes[ident] = attributes
    edges = []
    for row in edge_rows.values():
        source, target = node_id(row["source"]), node_id(row["target"])
        for end, iri in ((source, row["source"]), (target, row["target"])):
            # every end should be a graph-nodes row; a missing one still gets the attributes exports need
            nodes.setdefault(end, {"kind": end.split("/", 1)[0], "rdf_class": "", "iri": iri, "path": f"/id/{end}",
                                   "label": end})
        relation = RELATION_NAMES[row["relation"]]
        attributes = {"relation": relation, "property": row["relation"], "label": relation}
        if "role" in row:
            attributes["role"] = ROLES.get(row["role"], row["role"])
        if "salience" in row:
            attributes["salience"] = SALIENCES.get(row["salience"], row["salience"])
        if "score" in row:
            attributes["score"] = float(row["score"])
        edges.append((source, target, attributes))
    graph.add_nodes_from(sorted(nodes.items(), key=lambda item: id_key(item[0])))
    edges.sort(key=lambda e: (id_key(e[0]), e[2]["relation"], id_key(e[1]), e[2].get("role", "")))
    # Keys are unique edge ids (e1, e2 …): GraphML writes them as edge ids, which must not repeat.
    graph.add_edges_from((u, v, f"e{number}", data) for number, (u, v, data) in enumerate(edges, 1))
    return EntityGraph(graph, aliases)


def _prefixed(iri: str) -> str:
    for namespace, prefix in PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri.removeprefix(namespace)
    return iri


def entity_graph(services: Services) -> EntityGraph:
    return services.cached("graph-analytics", lambda: build_graph(services))


def relation_filter(relations: list[str] | None) -> frozenset[str] | None:
    """The relations to walk; involvesBody brings its sub-properties (None: all)."""
    if not relations:
        return None
    chosen = set(relations)
    if "involvesBody" in chosen:
        chosen.update(BODY_RELATIONS)
    return frozenset(chosen)


def normalise_id(text: str) -> str:
    """kind/slug from kind/slug, /id/kind/slug or the full IRI."""
    text = text.strip()
    if text.startswith(BASE):
        return text.removeprefix(BASE)
    return text.removeprefix("/").removeprefix("id/")


def find_node(graph: EntityGraph, wanted: str) -> str:
    if wanted in graph.graph:
        return wanted
    raise NotFound(f"{wanted!r} is not a node of the entity network (ids are kind/slug, e.g. item/16, "
                   f"population/women-workers)", close_matches(graph, wanted))


def close_matches(graph: EntityGraph, wanted: str, limit: int = 5) -> list[str]:
    """Nodes labelled by the slug (population/女职工), then ids spelled like it, then labels containing it."""
    ids = sorted(graph.graph.nodes, key=id_key)
    kind, _, slug = wanted.partition("/")
    text = (slug or kind).strip().lower()

    def labels(node: str) -> tuple[str, ...]:
        data = graph.graph.nodes[node]
        names = (data.get("label_zh", ""), data.get("label_en", ""), *graph.aliases.get(node, ()))
        return tuple(name.lower() for name in names)

    labelled = sorted((n for n in ids if text and text in labels(n)), key=lambda n: (not n.startswith(kind + "/"), id_key(n)))
    same_kind = [n.split("/", 1)[1] for n in ids if n.startswith(kind + "/")]
    if slug and same_kind:  # compare slugs within the kind: a shared kind/ prefix says nothing
        spelled = [f"{kind}/{s}" for s in difflib.get_close_matches(slug, same_kind, n=limit, cutoff=0.6)]
    else:
        spelled = difflib.get_close_matches(wanted, ids, n=limit, cutoff=0.6)
    containing = [n for n in ids if len(text) > 1 and text in labels(n)[0]]
    return list(dict.fromkeys(labelled + spelled + containing))[:limit]


# --------------------------------------------------------------------------- export
def export(graph: nx.MultiDiGraph, fmt: str, filename: str) -> Response:
    """GraphML or GEXF of a graph whose attributes are strings and numbers (no None)."""
    if fmt == "graphml":
        text = "\n".join(nx.generate_graphml(graph, encoding="utf-8", prettyprint=True))
    else:
        text = "\n".join(nx.generate_gexf(graph, encoding="utf-8", prettyprint=True))
    return Response(text.encode("utf-8"), media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


def export_graph(graph: EntityGraph, nodes: list[GraphNode], edges: list[tuple[str, str, str, dict]]) -> nx.MultiDiGraph:
    out = nx.MultiDiGraph()
    for node in nodes:
        attributes = dict(graph.graph.nodes[node.id], degree=node.degree)
        if node.distance is not None:
            attributes["distance"] = node.distance
        out.add_node(node.id, **attributes)
    out.add_edges_from((u, v, key, dict(data)) for u, v, key, data in edges)
    return out


# --------------------------------------------------------------------------- routes
@router.get("/graph/neighbors/{kind}/{slug}", response_model=Neighbourhood, responses=EXPORT_RESPONSES,
            summary="the nodes within 1-3 hops of a resource and the typed edges between them (JSON, GraphML or GEXF)")
def neighbours(
    services: ServicesDep,
    kind: Annotated[str, Path(description="the node's kind (item, population, body …)", max_length=100)],
    slug: Annotated[str, Path(description="the node's slug (16, women-workers, acftu …)", max_length=300)],
    hops: Annotated[int, Query(ge=1, le=3, description="how far to reach, ignoring edge direction")] = 1,
    relation: Annotated[list[RelationName] | None, RELATION_QUERY] = None,
    max_nodes: Annotated[int, Query(ge=1, le=MAX_NODES, description="the most nodes returned (the nearest, then by id)")] = MAX_NODES,
    format: Annotated[Format, FORMAT_QUERY] = "json",
):
    """The neighbourhood of a node: every node within ``hops`` steps (edges walked in either
    direction), and the edges among those nodes, each in its real direction. Nodes carry their
    distance from the centre. Past ``max_nodes`` the nearest nodes are kept (ties in id order) and
    ``truncated`` is true."""
    graph = entity_graph(services)
    centre = find_node(graph, f"{kind}/{slug}")
    relations = relation_filter(relation)
    reach = nx.single_source_shortest_path_length(graph.walkable(relations), centre, cutoff=hops)
    ordered = sorted(reach.items(), key=lambda item: (item[1], id_key(item[0])))
    kept = ordered[:max_nodes]
    nodes = [graph.node(ident, distance) for ident, distance in kept]
    edges = graph.induced_edges((ident for ident, _ in kept), relations)
    if format != "json":
        name = f"policykg-{kind}-{slug}-hops{hops}"
        return export(export_graph(graph, nodes, edges), format, name)
    return Neighbourhood(centre=centre, hops=hops, relation_filter=sorted(relations or ()), max_nodes=max_nodes,
                         truncated=len(ordered) > max_nodes, **graph.data(nodes, edges))


@router.get("/graph/path", response_model=GraphPath, responses=ERROR_RESPONSES,
            summary="the shortest path between two resources, each step with its edge's real direction and relation")
def path(
    services: ServicesDep,
    source: Annotated[str, Query(alias="from", max_length=2000, description="a node id (kind/slug), /id/ path or IRI",
                                 examples=["population/women-workers"])],
    target: Annotated[str, Query(alias="to", max_length=2000, description="a node id (kind/slug), /id/ path or IRI",
                                 examples=["body/acftu"])],
    relation: Annotated[list[RelationName] | None, RELATION_QUERY] = None,
):
    """A shortest path, walking edges in either direction (a population and a body meet at an
    item that serves one and involves the other). Of several shortest paths the one whose node
    ids come first in id order (item/7 before item/28) is returned, and ``shortest_paths`` says how many there are. 400 when
    both ends are the same node, 404 when a node is unknown (with close matches) or no path
    joins them."""
    graph = entity_graph(services)
    start, end = find_node(graph, normalise_id(source)), find_node(graph, normalise_id(target))
    if start == end:
        raise ApiError(400, f"from and to are the same node ({start}); a path needs two")
    relations = relation_filter(relation)
    walk = graph.walkable(relations)
    to_end = nx.single_source_shortest_path_length(walk, end)
    if start not in to_end:
        filtered = f" along {', '.join(sorted(relations))}" if relations else ""
        raise NotFound(f"no path joins {start} and {end}{filtered}")
    route = [start]
    while route[-1] != end:  # the smallest next id one step nearer the end: the first path in id order
        here = route[-1]
        route.append(min((n for n in walk[here] if to_end.get(n) == to_end[here] - 1), key=id_key))
    steps = []
    for a, b in zip(route, route[1:]):
        edges = graph.edges_between(a, b, relations)
        first = edges[0]
        steps.append(PathStep(source=a, target=b, direction="forward" if first.source == a else "backward",
                              relation=first.relation, role=first.role, salience=first.salience, edges=edges))
    return GraphPath(source=start, target=end, length=len(steps), relation_filter=sorted(relations or ()),
                     shortest_paths=count_shortest_paths(walk, start, to_end), text=path_text(graph, route, steps),
                     nodes=[graph.node(ident) for ident in route], steps=steps)


def count_shortest_paths(walk: nx.Graph, start: str, to_end: dict[str, int]) -> int:
    """The number of shortest start-end paths (capped), counted layer by layer toward the end."""
    counts = {start: 1}
    layer = [start]
    while layer and to_end[layer[0]] > 0:
        following: dict[str, int] = {}
        for here in layer:
            for n in walk[here]:
                if to_end.get(n) == to_end[here] - 1:
                    following[n] = min(PATH_COUNT_CAP, following.get(n, 0) + counts[here])
        counts, layer = following, sorted(following)
    return min(PATH_COUNT_CAP, sum(counts.values()))


def path_text(graph: EntityGraph, route: list[str], steps: list[PathStep]) -> str:
    def name(ident: str) -> str:
        data = graph.graph.nodes[ident]
        if data["kind"] in NAMED_KINDS and data.get("label_zh"):
            return data["label_zh"]
        return ident.replace("/", " ", 1)

    parts = [name(route[0])]
    for step in steps:
        arrow = f"—{step.relation}→" if step.direction == "forward" else f"←{step.relation}—"
        parts += [arrow, name(step.target)]
    return " ".join(parts)


MEASURES = {
    "degree": "distinct neighbours / (nodes - 1), edge direction and parallel edges ignored",
    "betweenness": "share of shortest paths between other nodes that pass through the node (exact, normalised; "
                   "undirected, parallel edges collapsed)",
    "pagerank": "PageRank (damping 0.85) along the edges' direction, parallel edges collapsed: rank flows from "
                "items to the chapters, populations, bodies and programmes they reach, from narrower populations "
                "and sub-bodies to their parents, from indicators and tasks to items",
}


def centrality_scores(graph: EntityGraph, measure: str) -> dict[str, float]:
    simple = nx.Graph(graph.graph.to_undirected(as_view=True))
    if measure == "degree":
        scores = nx.degree_centrality(simple)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(simple, normalized=True)
    else:
        scores = nx.pagerank(nx.DiGraph(graph.graph), tol=1e-10)  # networkx's, on scipy
    # rounded so that equal scores reached by different float sums compare equal (ties go by id)
    return {node: round(score, 12) for node, score in scores.items()}


@router.get("/graph/centrality", response_model=Centrality, responses=ERROR_RESPONSES,
            summary="the most central nodes of a kind by degree, betweenness or PageRank")
def centrality(
    services: ServicesDep,
    kind: Annotated[KindName | None, Query(description="rank nodes of this kind only; all kinds when absent")] = None,
    measure: Annotated[Measure, Query(description="degree, betweenness or pagerank")] = "degree",
    limit: Annotated[int, Query(ge=1, le=500, description="how many nodes to list")] = 20,
):
    """Scores are computed once on the whole graph, then the nodes of ``kind`` are ranked by
    score, ties broken by id (numbers compared as numbers), so the same request always gives the
    same list."""
    graph = entity_graph(services)
    scores = services.cached(f"graph-centrality-{measure}", lambda: centrality_scores(graph, measure))
    candidates = sorted((node for node, data in graph.graph.nodes(data=True) if kind is None or data["kind"] == kind),
                        key=lambda node: (-scores[node], id_key(node)))
    simple = graph.walkable(None)
    entries = []
    for rank, node in enumerate(candidates[:limit], 1):
        data = graph.graph.nodes[node]
        entries.append(CentralityEntry(rank=rank, id=node, kind=data["kind"], label_zh=data.get("label_zh"),
                                       label_en=data.get("label_en"), path=data["path"], score=scores[node],
                                       degree=graph.graph.degree(node), neighbours=simple.degree(node)))
    return Centrality(measure=measure, description=MEASURES[measure], kind=kind, nodes=len(candidates), entries=entries)


@router.get("/graph/export", response_model=GraphData, responses=EXPORT_RESPONSES,
            summary="the whole entity network as JSON, GraphML or GEXF (for Gephi)")
def export_all(services: ServicesDep, format: Annotated[Format, FORMAT_QUERY] = "json"):
    """Every node and edge. GraphML and GEXF carry the same attributes as the JSON (kind, labels,
    IRI, path, degree; relation, property, role, salience, score), leaving out the ones a node or
    edge does not have; nodes are labelled by their Chinese label for Gephi."""
    graph = entity_graph(services)
    nodes = [graph.node(ident) for ident in sorted(graph.graph.nodes, key=id_key)]
    edges = graph.induced_edges(graph.graph.nodes, None)
    if format != "json":
        return export(export_graph(graph, nodes, edges), format, "policykg-graph")
    return GraphData(**graph.data(nodes, edges))
