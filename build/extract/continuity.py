"""Which plan items a later task carries forward: a scored, conservative rule plus curated overrides.

A task (a 2023 task of the work report, a line of the 18th-congress summary)
continues a plan item when the two say the same thing in the same terms. Each
side becomes a weighted bag of features:

* ``words:`` the character bigrams of its Han text (Chinese has no word
  boundaries; bigrams are the standard unit for matching short Chinese texts);
* ``population:``, ``programme:``, ``body:`` the populations, named programmes
  and bodies the extract stage linked it to, weighted above words
  (:data:`FEATURE_WEIGHTS`) because a shared 快递员 or “安康杯” says more than a
  shared 加强.

Weights are TF-IDF over the plan's items, so what every item says (职工, 工会,
加强) counts for little, and the score is the cosine of the two bags (0 to 1).
A pair is kept when its score reaches :data:`THRESHOLD` and is within
:data:`RELATIVE` of the task's best pair, at most :data:`MAX_ITEMS` per task:
precision over recall. ``basis`` lists the shared features that contribute
most, so a reader can see why.

``build/data/continuity.yaml`` adds links the rule misses and removes the ones
it gets wrong, each with a reason; those links are ``decided_by="curated"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from policykg.build.curated import read_yaml, sequence_lines
from policykg.build.extract.units import MEASURE, TASK, TITLE, TextUnit
from policykg.build.model import BodyLink, Continuation, PopulationLink, ProgrammeLink
from policykg.errors import SourceError
from policykg.resources import curated_file

OVERRIDES_FILE = "continuity.yaml"
THRESHOLD = 0.30
RELATIVE = 0.80
MAX_ITEMS = 3
BASIS_SIZE = 6
TITLE_WEIGHT = 2  # an item's title counts twice: it states what the item is about
FEATURE_WEIGHTS = {"words": 1.0, "population": 2.0, "programme": 3.0, "body": 1.5}

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_TASK_PATH = re.compile(r"^task/[0-9a-z-]+$")

Bag = dict[str, float]


def continuations(
    units: list[TextUnit],
    population_links: list[PopulationLink],
    programme_links: list[ProgrammeLink],
    body_links: list[BodyLink],
    overrides_path: Path | None = None,
) -> list[Continuation]:
    """Scored continuity links, with the curated overrides applied; sorted by task, then item."""
    features = _linked_features(population_links, programme_links, body_links)
    items = _item_counts(units, features)
    tasks = {u.path: _counts(u.text, features.get(u.path, [])) for u in units if u.kind == TASK}
    idf = _idf(items.values())
    item_bags = {item: _weigh(counts, idf) for item, counts in items.items()}
    found: dict[tuple[str, int], Continuation] = {}
    for task, counts in sorted(tasks.items()):
        bag = _weigh(counts, idf)
        scored = sorted(((_cosine(bag, other), item) for item, other in item_bags.items()), key=lambda s: (-s[0], s[1]))
        if not scored:
            continue
        best = scored[0][0]
        for score, item in scored[:MAX_ITEMS]:
            if score >= THRESHOLD and score >= RELATIVE * best:
                found[task, item] = Continuation(task, item, score, _basis(bag, item_bags[item]), "rule")
    adds, removes = load_overrides(overrides_path, known_tasks=set(tasks), known_items=set(items))
    for key in removes:
        found.pop(key, None)
    for (task, item), reason in adds.items():
        found[task, item] = Continuation(task, item, 1.0, (f"curated:{reason}",), "curated")
    return [found[key] for key in sorted(found, key=lambda k: (k[0], k[1]))]


# --------------------------------------------------------------------------- features
def _linked_features(population_links, programme_links, body_links) -> dict[str, list[str]]:
    """Unit path -> the ``kind:slug`` features its links give it."""
    features: dict[str, list[str]] = defaultdict(list)
    for link in population_links:
        features[link.evidence.unit].append(f"population:{link.population}")
    for link in programme_links:
        features[link.evidence.unit].append(f"programme:{link.programme}")
    for link in body_links:
        features[link.evidence.unit].append(f"body:{link.body}")
    return features


def _counts(text: str, features: list[str], weight: int = 1) -> Counter:
    counts: Counter = Counter()
    for run in _HAN_RUN.findall(text):
        for i in range(len(run) - 1):
            counts[f"words:{run[i:i + 2]}"] += weight
    for feature in features:
        counts[feature] += weight
    return counts


def _item_counts(units: list[TextUnit], features: dict[str, list[str]]) -> dict[int, Counter]:
    """Item number -> feature counts over its title (twice) and its measures."""
    items: dict[int, Counter] = defaultdict(Counter)
    for unit in units:
        if unit.item is None or unit.kind not in (MEASURE, TITLE):
            continue
        weight = TITLE_WEIGHT if unit.kind == TITLE else 1
        items[unit.item].update(_counts(unit.text, features.get(unit.path, []), weight))
    return dict(items)


def _idf(documents) -> dict[str, float]:
    documents = list(documents)
    frequency: Counter = Counter()
    for counts in documents:
        frequency.update(set(counts))
    n = len(documents)
    return {term: math.log((n + 1) / (df + 1)) + 1.0 for term, df in frequency.items()}


def _weigh(counts: Counter, idf: dict[str, float]) -> Bag:
    """Sub-linear TF × IDF × the feature kind's weight; terms no item has are dropped (they cannot match)."""
    bag = {}
    for term, count in counts.items():
        if term in idf:
            kind = term.split(":", 1)[0]
            bag[term] = (1.0 + math.log(count)) * idf[term] * FEATURE_WEIGHTS[kind]
    return bag


def _cosine(a: Bag, b: Bag) -> float:
    if not a or not b:
        return 0.0
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _basis(a: Bag, b: Bag) -> tuple[str, ...]:
    """The shared features that contribute most to the score, linked features first."""
    shared = sorted((-(a[t] * b[t]), t) for t in a if t in b)
    linked = [t for _w, t in shared if not t.startswith("words:")]
    words = [t.split(":", 1)[1] for _w, t in shared if t.startswith("words:")]
    basis = linked[:BASIS_SIZE]
    if words and len(basis) < BASIS_SIZE:
        basis.append("words:" + "、".join(words[:BASIS_SIZE]))
    return tuple(basis)


# --------------------------------------------------------------------------- overrides
def load_overrides(path: Path | None = None, *, known_tasks: set[str] | None = None,
                   known_items: set[int] | None = None) -> tuple[dict[tuple[str, int], str], set[tuple[str, int]]]:
    """``add`` (pair -> reason) and ``remove`` (pairs) from the curated file, checked against the corpus."""
    path = curated_file(OVERRIDES_FILE) if path is None else Path(path)
    text, data = read_yaml(path)
    if not isinstance(data, dict) or not set(data) <= {"add", "remove"}:
        raise SourceError(path.name, "the top level must be a mapping with the keys 'add' and 'remove'")
    adds: dict[tuple[str, int], str] = {}
    removes: set[tuple[str, int]] = set()
    lines = {section: sequence_lines(text, section) for section in ("add", "remove")}
    for section in ("add", "remove"):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise SourceError(path.name, f"{section!r} must be a list of {{task, item, reason}}")
        for index, entry in enumerate(entries):
            line = lines[section][index] if index < len(lines[section]) else None
            where = f"{section}[{index}]"
            if not isinstance(entry, dict) or set(entry) != {"task", "item", "reason"}:
                raise SourceError(path.name, f"{where}: each entry has exactly task, item and reason", line=line)
            task, item, reason = entry["task"], entry["item"], entry["reason"]
            if not isinstance(task, str) or not _TASK_PATH.match(task) or (known_tasks is not None and task not in known_tasks):
                raise SourceError(path.name, f"{where}: task {task!r} is not a task of the corpus (task/2023-3-2, task/18th-3-1-4 …)", line=line)
            if not isinstance(item, int) or (known_items is not None and item not in known_items):
                raise SourceError(path.name, f"{where}: item {item!r} is not an item number of the plan", line=line)
            if not isinstance(reason, str) or not reason.strip():
                raise SourceError(path.name, f"{where}: give the reason in words", line=line)
            if (task, item) in adds or (task, item) in removes:
                raise SourceError(path.name, f"{where}: {task} → item {item} is listed twice", line=line)
            if section == "add":
                adds[task, item] = reason.strip()
            else:
                removes.add((task, item))
    return adds, removes
