"""The curated vocabularies: target populations and bodies, with their aliases.

``build/data/populations.yaml`` (a SKOS concept scheme) and
``build/data/bodies.yaml`` (organisations and organ categories) are written
by hand. Each file also lists the names of things that contain one of its
words but are not one of its entries (``not-names``: 职工书屋 is no group of
workers); :func:`load_lexicon` puts every name of both files into one
:class:`~policykg.build.extract.lexicon.Lexicon`, so the longest name wins
across vocabularies.

Loading checks the whole file and raises :class:`SourceError` naming the
file, the entry (its slug) and its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from policykg.build.curated import _non_english_chars, key_lines, read_yaml
from policykg.build.extract.lexicon import NONE, Entry, Lexicon
from policykg.build.model import Body, Population
from policykg.errors import SourceError
from policykg.resources import curated_file

POPULATIONS_FILE = "populations.yaml"
BODIES_FILE = "bodies.yaml"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BODY_KINDS = ("union", "party", "state", "legislature", "people-organisation", "international", "company",
              "enterprise-category", "media", "other")

POPULATION_FIELDS = {"slug": True, "zh": True, "en": True, "aliases": False, "broader": False, "note": False}
BODY_FIELDS = {"slug": True, "zh": True, "en": True, "kind": True, "aliases": False,
               "sub-organization-of": False, "note": False}


@dataclass(frozen=True)
class Vocabulary:
    """Both curated vocabularies and the lexicon of all their names, read once per build."""

    populations: list[Population]
    bodies: list[Body]
    lexicon: Lexicon


def load_vocabulary(populations_path: Path | None = None, bodies_path: Path | None = None) -> Vocabulary:
    """populations.yaml and bodies.yaml, each read and checked once, and their lexicon."""
    populations_path = curated_file(POPULATIONS_FILE) if populations_path is None else Path(populations_path)
    bodies_path = curated_file(BODIES_FILE) if bodies_path is None else Path(bodies_path)
    populations, population_not_names = _read_populations(populations_path)
    bodies, body_not_names = _read_bodies(bodies_path)
    entries = []
    for population in populations:
        for surface in (population.label_zh, *population.aliases):
            entries.append(Entry(surface, "population", population.slug, f"{POPULATIONS_FILE}: {population.slug}"))
    for body in bodies:
        for surface in (body.label_zh, *body.aliases):
            entries.append(Entry(surface, "body", body.slug, f"{BODIES_FILE}: {body.slug}"))
    for path, shadows in ((populations_path, population_not_names), (bodies_path, body_not_names)):
        for surface in shadows:
            entries.append(Entry(surface, NONE, "", f"{path.name}: not-names"))
    return Vocabulary(populations, bodies, Lexicon(entries))


def load_lexicon(populations_path: Path | None = None, bodies_path: Path | None = None) -> Lexicon:
    """Every name of the population and body vocabularies (and their not-names) in one lexicon."""
    return load_vocabulary(populations_path, bodies_path).lexicon


def load_populations(path: Path | None = None) -> list[Population]:
    """The population scheme, in file order; every ``broader`` names a concept of the file, no cycles."""
    return _read_populations(curated_file(POPULATIONS_FILE) if path is None else Path(path))[0]


def load_bodies(path: Path | None = None) -> list[Body]:
    """The bodies, in file order; ``sub-organization-of`` names a body of the file."""
    return _read_bodies(curated_file(BODIES_FILE) if path is None else Path(path))[0]


def not_names(path: Path) -> list[str]:
    """The ``not-names`` of a vocabulary file."""
    read = _read_populations if path.name == POPULATIONS_FILE else _read_bodies
    return read(path)[1]


def ancestors(parents: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Each key → every key above it (transitively), for a hierarchy without cycles."""
    found: dict[str, set[str]] = {}
    for slug in parents:
        seen: set[str] = set()
        stack = list(parents[slug])
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(parents.get(parent, ()))
        found[slug] = seen
    return found


def _read_populations(path: Path) -> tuple[list[Population], list[str]]:
    records, shadows, lines = _load(path, "concepts", POPULATION_FIELDS)
    populations = [
        Population(r["slug"], r["zh"], r["en"], tuple(r.get("aliases") or ()), tuple(r.get("broader") or ()), r.get("note"))
        for r in records
    ]
    slugs = {p.slug for p in populations}
    for population in populations:
        for broader in population.broader:
            if broader not in slugs:
                raise SourceError(path.name, f"concepts[{population.slug}]: broader {broader!r} is not a slug of this file",
                                  line=lines.get(population.slug))
    parents = {p.slug: p.broader for p in populations}
    for population in populations:
        _refuse_cycle(path, population.slug, parents, lines)
    return populations, shadows


def _read_bodies(path: Path) -> tuple[list[Body], list[str]]:
    records, shadows, lines = _load(path, "bodies", BODY_FIELDS)
    bodies = []
    for r in records:
        if r["kind"] not in BODY_KINDS:
            raise SourceError(path.name, f"bodies[{r['slug']}]: kind {r['kind']!r} is not one of {', '.join(BODY_KINDS)}",
                              line=lines.get(r["slug"]))
        bodies.append(Body(r["slug"], r["zh"], r["en"], r["kind"], tuple(r.get("aliases") or ()), r.get("sub-organization-of")))
    slugs = {b.slug for b in bodies}
    for body in bodies:
        if body.sub_organization_of is not None and body.sub_organization_of not in slugs:
            raise SourceError(path.name, f"bodies[{body.slug}]: sub-organization-of {body.sub_organization_of!r} "
                              "is not a slug of this file", line=lines.get(body.slug))
    parents = {b.slug: (b.sub_organization_of,) if b.sub_organization_of else () for b in bodies}
    for body in bodies:
        _refuse_cycle(path, body.slug, parents, lines)
    return bodies, shadows


# --------------------------------------------------------------------------- checking
def _load(path: Path, section: str, fields: dict[str, bool]) -> tuple[list[dict], list[str], dict[str, int]]:
    """The entries and not-names of a checked file, and the line of each slug (for error messages)."""
    text, data = read_yaml(path)
    name = path.name
    allowed = {section, "not-names"}
    if not isinstance(data, dict) or section not in data or not set(data) <= allowed:
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise SourceError(name, f"the top level must be a mapping with the keys {section!r} and optionally "
                          f"'not-names' (found {found})")
    records = data[section]
    if not isinstance(records, list) or not records:
        raise SourceError(name, f"{section!r} must be a non-empty list of entries")
    lines = key_lines(text, section)
    seen_slugs: set[str] = set()
    seen_names: dict[str, str] = {}
    for index, record in enumerate(records):
        where = f"{section}[{index}]"
        if not isinstance(record, dict):
            raise SourceError(name, f"{where}: each entry is a mapping with {', '.join(f for f, req in fields.items() if req)}")
        slug = record.get("slug")
        if isinstance(slug, str):
            where = f"{section}[{slug}]"
        line = lines.get(slug) if isinstance(slug, str) else None
        problem = _entry_problem(record, fields)
        if problem:
            raise SourceError(name, f"{where}: {problem}", line=line)
        if slug in seen_slugs:
            raise SourceError(name, f"{where}: the slug is used twice; slugs are IRIs and must be unique", line=line)
        seen_slugs.add(slug)
        for surface in (record["zh"], *(record.get("aliases") or ())):
            if surface in seen_names and seen_names[surface] != slug:
                raise SourceError(name, f"{where}: the name “{surface}” is also a name of {seen_names[surface]!r}; "
                                  "a name can mean one thing only", line=line)
            seen_names[surface] = slug
    shadow = data.get("not-names") or []
    if not isinstance(shadow, list) or not all(_is_name(s) for s in shadow):
        raise SourceError(name, "'not-names' must be a list of Chinese names without spaces")
    clash = sorted(set(shadow) & set(seen_names))
    if clash:
        raise SourceError(name, f"“{clash[0]}” is both a not-name and a name of {seen_names[clash[0]]!r}")
    return records, list(shadow), lines


def _entry_problem(record: dict, fields: dict[str, bool]) -> str | None:
    missing = [f for f, required in fields.items() if required and f not in record]
    if missing:
        return f"missing {', '.join(map(repr, missing))}"
    extra = sorted(str(f) for f in record if f not in fields)
    if extra:
        return f"unexpected {', '.join(map(repr, extra))} (allowed: {', '.join(fields)})"
    if not isinstance(record["slug"], str) or not SLUG.match(record["slug"]):
        return f"slug {record['slug']!r} must be English kebab-case (a-z, 0-9, single '-')"
    if not _is_name(record["zh"]):
        return f"'zh' must be a Chinese name without spaces (got {record['zh']!r})"
    if not isinstance(record["en"], str) or not record["en"].strip() or _non_english_chars(record["en"]):
        return f"'en' must be a non-empty English label (got {record['en']!r})"
    for list_field in ("aliases", "broader"):
        values = record.get(list_field)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            return f"{list_field!r} must be a list of strings"
    if not all(_is_name(a) for a in record.get("aliases") or ()):
        return "'aliases' must be Chinese names without spaces"
    if len(set(record.get("aliases") or ())) != len(record.get("aliases") or ()):
        return "an alias is listed twice"
    if record["zh"] in (record.get("aliases") or ()):
        return f"the alias “{record['zh']}” repeats 'zh'"
    return None


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value) and not any(c.isspace() for c in value)


def _refuse_cycle(path: Path, start: str, parents: dict[str, tuple[str, ...]], lines: dict[str, int]) -> None:
    stack, seen = [(start, (start,))], set()
    while stack:
        node, trail = stack.pop()
        for parent in parents.get(node, ()):
            if parent == start:
                raise SourceError(path.name, f"{start!r} is its own ancestor: {' -> '.join((*trail, parent))}",
                                  line=lines.get(start))
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, (*trail, parent)))
