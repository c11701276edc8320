"""Curated knowledge: data files the project writes itself, checked against a schema.

``build/data/labels-en.yaml`` holds our own English labels of the plan, its
chapters and items, and the companion documents. Each label sits next to the
Chinese title it translates::

    labels:
      item/16: {zh: "维护新就业形态劳动者合法权益", en: "Safeguarding the lawful ..."}

Loading checks the whole file before returning anything. Any problem raises
:class:`SourceError` with the file name, the key at fault, and the line the
key is on.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import yaml

from policykg.errors import SourceError
from policykg.resources import curated_file

LABELS_FILE = "labels-en.yaml"
LABEL_KEY = re.compile(r"^(plan|document|chapter|item|category)/[a-z0-9-]+$")
RECORD_FIELDS = ("zh", "en")
TRAILING_STOPS = (".", "。", "．")


def load_english_labels(path: Path | None = None) -> dict[str, str]:
    """Resource path (``item/16``) → its English label, from ``labels-en.yaml``."""
    return {key: en for key, (_zh, en) in load_label_records(path).items()}


def load_label_records(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """Resource path → ``(zh, en)``: the Chinese title and our translation of it."""
    path = curated_file(LABELS_FILE) if path is None else Path(path)
    name = path.name
    text, data = read_yaml(path)
    key_lines = mapping_key_lines(text, "labels")

    if not isinstance(data, dict) or set(data) != {"labels"}:
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise SourceError(name, f"the top level must be a mapping with the single key 'labels' (found {found})")
    labels = data["labels"]
    if not isinstance(labels, dict) or not labels:
        raise SourceError(name, "'labels' must be a non-empty mapping of resource path -> {zh, en}")

    counts = Counter(key for key, _line in key_lines)
    duplicates = [key for key, _line in key_lines if counts[key] > 1]
    if duplicates:
        first = duplicates[0]
        lines = [line for key, line in key_lines if key == first]
        raise SourceError(name, f"labels[{first!r}]: the key appears more than once (lines {lines}); keep one entry", line=lines[-1])

    line_of = {key: line for key, line in key_lines}
    records: dict[str, tuple[str, str]] = {}
    for key, value in labels.items():
        line = line_of.get(str(key))
        problem = _record_problem(key, value)
        if problem:
            raise SourceError(name, f"labels[{key!r}]: {problem}", line=line)
        records[key] = (value["zh"], value["en"])
    return records


def read_yaml(path: Path) -> tuple[str, object]:
    """The text of a curated YAML file and its data; any problem names the file (and line)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(name, f"file not found at {path}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(name, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SourceError(name, f"not valid YAML: {getattr(exc, 'problem', None) or exc}", line=line) from None


def key_lines(text: str, section: str) -> dict[str, int]:
    """The 1-based line of each key or ``slug:`` value under top-level ``section`` (for error messages)."""
    lines: dict[str, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        if key_node.value != section:
            continue
        if isinstance(value_node, yaml.MappingNode):
            for node, _value in value_node.value:
                lines.setdefault(str(node.value), node.start_mark.line + 1)
        elif isinstance(value_node, yaml.SequenceNode):
            for item in value_node.value:
                if isinstance(item, yaml.MappingNode):
                    for node, value in item.value:
                        if node.value == "slug" and isinstance(value, yaml.ScalarNode):
                            lines.setdefault(str(value.value), item.start_mark.line + 1)
    return lines


def _record_problem(key: object, value: object) -> str | None:
    """What is wrong with one entry, or None."""
    if not isinstance(key, str) or not LABEL_KEY.match(key):
        return (
            "the key is not a resource path; it must match "
            "(plan|document|chapter|item|category)/<slug> with a slug of a-z, 0-9 and '-'"
        )
    if not isinstance(value, dict):
        return "the value must be a mapping {zh: ..., en: ...}"
    missing = [field for field in RECORD_FIELDS if field not in value]
    if missing:
        return f"missing {', '.join(map(repr, missing))}; each entry has exactly zh and en"
    extra = sorted(str(field) for field in value if field not in RECORD_FIELDS)
    if extra:
        return f"unexpected {', '.join(map(repr, extra))}; each entry has exactly zh and en"
    for field in RECORD_FIELDS:
        text = value[field]
        if not isinstance(text, str) or not text.strip():
            return f"{field!r} must be a non-empty string (got {text!r})"
        if text != text.strip():
            return f"{field!r} has leading or trailing white space"
        if text.endswith(TRAILING_STOPS):
            return f"{field!r} ends with {text[-1]!r}; titles have no trailing full stop"
    bad = _non_english_chars(value["en"])
    if bad:
        return (
            f"'en' contains {''.join(bad)!r}: CJK, full-width or control characters "
            "do not belong in an English label"
        )
    return None


def _non_english_chars(text: str) -> list[str]:
    """Characters of ``text`` that an English label must not hold, in order, once each.

    Printable ASCII is fine, and so are other printable Latin characters (an
    en dash, a curly apostrophe, an accented letter). Wide and full-width
    characters (CJK ideographs, kana, hangul, 。，、“ in their full-width forms)
    and control characters are not.
    """
    bad: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        if (wide or not char.isprintable()) and char not in bad:
            bad.append(char)
    return bad


def _section(text: str, section: str) -> yaml.Node | None:
    """The node of a top-level key, read without constructing values (so duplicates survive)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    return next((value for key, value in root.value if key.value == section), None)


def mapping_key_lines(text: str, section: str) -> list[tuple[str, int]]:
    """Every key written under a top-level mapping ``section`` with its 1-based line, duplicates included.

    ``yaml.safe_load`` keeps the last of two equal keys without a word; the
    node tree still has both, so a duplicated key cannot slip through.
    """
    node = _section(text, section)
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(str(key.value), key.start_mark.line + 1) for key, _value in node.value if isinstance(key, yaml.ScalarNode)]


def sequence_lines(text: str, section: str) -> list[int]:
    """The 1-based line of each entry of a top-level list ``section``, by index."""
    node = _section(text, section)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def category_slugs(path: Path | None = None) -> dict[str, str]:
    """Indicator table category (素质提升) → its slug (``quality``), from the ``category/…`` labels."""
    return {zh: key.split("/", 1)[1] for key, (zh, _en) in load_label_records(path).items() if key.startswith("category/")}
