"""Variant readings: align two copies of a passage, record where they differ, pick one.

Copies A and B of the plan's pages 1-2 were OCR'd separately and each is wrong
in places. Where both carry a passage, the two cleaned readings are aligned
character by character on a *normalised key* (NFKC, full-width punctuation,
no white space), so differences of typography are not variants. Each
remaining difference is a variant site; the reading that goes into the graph
is chosen by the first of these rules that decides (recorded per variant as
``pol:selectionRule``):

1. ``majority``       — three or more witnesses and one reading has the most votes
                        (titles: table of contents A and B, body headings);
2. ``dittography``    — one reading repeats the text right next to it, an OCR
                        double such as "做大做强做强";
3. ``foreign-script`` — one reading puts Latin letters into Chinese text
                        ("理论 and 实践");
4. ``base-copy``      — otherwise copy A's reading (copy A is the base text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from policykg.build.model import Reading, Variant
from policykg.build.text import FULL_WIDTH_PUNCTUATION, MappedText, Span

_LATIN = re.compile(r"[A-Za-z]")


def key_char(char: str) -> str:
    """The matching key of one character: typography folded, never the source text."""
    folded = unicodedata.normalize("NFKC", char.translate(FULL_WIDTH_PUNCTUATION))
    folded = folded.translate(FULL_WIDTH_PUNCTUATION)
    return "" if folded.isspace() else (folded[:1] if folded else "")


def normalise(text: str) -> str:
    """Matching key of a whole string (titles, headings)."""
    return "".join(key_char(c) for c in text)


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, normalise(a), normalise(b), autojunk=False).ratio()


# --- titles ------------------------------------------------------------------


@dataclass(frozen=True)
class TitleWitness:
    """One place a copy prints a title: in its table of contents or as a body heading."""

    text: MappedText
    in_toc: bool


def choose_title(site: str, witnesses: list[TitleWitness], base_file: str) -> tuple[TitleWitness, Variant | None]:
    """Pick the title among the table-of-contents readings; every witness votes.

    Returns the chosen witness and, when the witnesses disagree, the variant
    with one reading per witness.
    """
    candidates = [w for w in witnesses if w.in_toc] or list(witnesses)
    votes: dict[str, int] = {}
    for witness in witnesses:
        votes[normalise(witness.text.text)] = votes.get(normalise(witness.text.text), 0) + 1
    if len(votes) == 1:
        return candidates[0], None
    best = max(votes[normalise(c.text.text)] for c in candidates)
    leaders = [c for c in candidates if votes[normalise(c.text.text)] == best]
    distinct_leaders = {normalise(c.text.text) for c in leaders}
    if len(witnesses) >= 3 and len(distinct_leaders) == 1:
        chosen, rule = leaders[0], "majority"
    else:
        chosen, rule = _tiebreak(leaders, base_file)
    chosen_key = normalise(chosen.text.text)
    readings = tuple(
        Reading(w.text.source.name, _span_or_empty(w.text), w.text.text, normalise(w.text.text) == chosen_key)
        for w in witnesses
    )
    return chosen, Variant(site, "title", 1, readings, rule)


def _tiebreak(leaders: list[TitleWitness], base_file: str) -> tuple[TitleWitness, str]:
    clean = [w for w in leaders if not _LATIN.search(w.text.text)]
    if clean and len(clean) < len(leaders):
        leaders = clean
        rule = "foreign-script"
    else:
        rule = "base-copy"
    for witness in leaders:
        if witness.text.source.name == base_file:
            return witness, rule
    return leaders[0], rule


def _span_or_empty(text: MappedText) -> Span:
    if len(text):
        return text.span()
    return Span(text.source.name, 0, 0, "")


# --- passages ------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One character of a chosen reading and where it was read.

    ``base_index`` is the position in the base witness the character stands
    for (for a character of the other copy: the start of its variant site;
    None where only the other copy has the passage).
    """

    char: str
    file: str
    offset: int
    base_index: int | None


@dataclass
class Merged:
    """The chosen reading of a passage carried by one or two copies."""

    atoms: list[Atom]
    base: MappedText | None
    other: MappedText | None
    variants: list[Variant]

    @property
    def text(self) -> str:
        return "".join(a.char for a in self.atoms)


def single(text: MappedText) -> Merged:
    """A passage only one copy carries: its reading, no variants."""
    atoms = [Atom(c, text.source.name, o, i) for i, (c, o) in enumerate(zip(text.text, text.offsets))]
    return Merged(atoms, text, None, [])


def _keyed(text: MappedText) -> tuple[str, list[int]]:
    """Key string of a text and, for each key character, its index in the text."""
    keys, index = [], []
    for i, char in enumerate(text.text):
        key = key_char(char)
        if key:
            keys.append(key)
            index.append(i)
    return "".join(keys), index


def merge(site: str, base: MappedText, other: MappedText, merge_gap: int = 1) -> Merged:
    """Align ``other`` to ``base`` and build the chosen reading with its variants.

    Unmatched text at the very start or end (one copy carries more of the
    passage than the other) is coverage, not a variant: it is taken from the
    copy that has it. Sites separated by ``merge_gap`` or fewer equal key
    characters are one variant.
    """
    base_key, base_index = _keyed(base)
    other_key, other_index = _keyed(other)
    matcher = SequenceMatcher(None, base_key, other_key, autojunk=False)
    opcodes = matcher.get_opcodes()
    opcodes = _coalesce(opcodes, merge_gap)

    def base_range(i1: int, i2: int) -> tuple[int, int]:
        return _text_range(base_index, i1, i2, len(base))

    def other_range(j1: int, j2: int) -> tuple[int, int]:
        return _text_range(other_index, j1, j2, len(other))

    atoms: list[Atom] = []
    variants: list[Variant] = []
    last = len(opcodes) - 1
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        b1, b2 = base_range(i1, i2)
        o1, o2 = other_range(j1, j2)
        if tag == "equal":
            atoms.extend(_atoms(base, b1, b2, base_positions=True))
            continue
        edge = position == 0 or position == last
        if edge and (i1 == i2 or j1 == j2):
            # coverage: only one copy carries this stretch of the passage
            if i2 > i1:
                atoms.extend(_atoms(base, b1, b2, base_positions=True))
            else:
                atoms.extend(_atoms(other, o1, o2, base_positions=False, base_at=None))
            continue
        base_reading, other_reading = base[b1:b2], other[o1:o2]
        rule, take_other = _decide(base, b1, b2, other, o1, o2)
        variants.append(
            Variant(
                site,
                "text",
                len(variants) + 1,
                (
                    Reading(base.source.name, _site_span(base, b1, b2), base_reading.text, not take_other),
                    Reading(other.source.name, _site_span(other, o1, o2), other_reading.text, take_other),
                ),
                rule,
            )
        )
        if take_other:
            atoms.extend(_atoms(other, o1, o2, base_positions=False, base_at=b1))
        else:
            atoms.extend(_atoms(base, b1, b2, base_positions=True))
    return Merged(atoms, base, other, variants)


def _text_range(index: list[int], k1: int, k2: int, length: int) -> tuple[int, int]:
    """Text positions covered by key positions [k1, k2), white space before the next key included."""
    start = index[k1] if k1 < len(index) else length
    end = index[k2] if k2 < len(index) else length
    if k1 == 0:
        start = 0
    return start, end


def _coalesce(opcodes: list[tuple], gap: int) -> list[tuple]:
    """Join non-equal opcodes separated by at most ``gap`` equal characters."""
    out: list[tuple] = []
    for opcode in opcodes:
        tag, _, i2, _, j2 = opcode
        if tag != "equal" and len(out) >= 2 and out[-2][0] != "equal":
            between = out[-1]
            if between[0] == "equal" and between[2] - between[1] <= gap:
                out.pop()
                first = out.pop()
                opcode = ("replace", first[1], i2, first[3], j2)
        out.append(opcode)
    return out


def _atoms(text: MappedText, start: int, end: int, base_positions: bool, base_at: int | None = None) -> list[Atom]:
    name = text.source.name
    return [
        Atom(text.text[i], name, text.offsets[i], i if base_positions else base_at)
        for i in range(start, end)
        if not (text.text[i].isspace() and text.text[i] != " ")
    ]


def _site_span(text: MappedText, start: int, end: int) -> Span:
    """Raw span of a reading; an omission is an empty span where the text would stand."""
    piece = text[start:end].strip()
    if len(piece):
        return piece.span()
    offset = text.offsets[start] if start < len(text) else (text.offsets[-1] + 1 if len(text) else 0)
    return Span(text.source.name, offset, offset, "")


def _decide(base: MappedText, b1: int, b2: int, other: MappedText, o1: int, o2: int) -> tuple[str, bool]:
    """Apply rules 2-4 to a two-copy site; returns (rule, take the other copy's reading)."""
    base_doubled = _is_dittography(base, b1, b2)
    other_doubled = _is_dittography(other, o1, o2)
    if base_doubled != other_doubled:
        return "dittography", base_doubled
    base_latin = bool(_LATIN.search(base.text[b1:b2]))
    other_latin = bool(_LATIN.search(other.text[o1:o2]))
    if base_latin != other_latin:
        return "foreign-script", base_latin
    return "base-copy", False


def _is_dittography(text: MappedText, start: int, end: int, shortest: int = 2) -> bool:
    """True when the reading [start:end) repeats the characters right before or after it."""
    reading = normalise(text.text[start:end])
    if len(reading) < shortest:
        return False
    before = normalise(text.text[max(0, start - 2 * len(reading)):start])
    after = normalise(text.text[end:end + 2 * len(reading)])
    return before.endswith(reading) or after.startswith(reading)
