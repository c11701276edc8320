"""Find curated names in Chinese text: leftmost-longest, across every vocabulary at once.

Chinese has no spaces, so a name is found by where its characters occur, and a
short generic name occurs inside many longer ones: 职工 inside 女职工, 困难职工家庭,
职工书屋. The rule (docs/annotation-guidelines.md §1) is that **the longest name
wins**: scanning left to right, at each position the longest entry that starts
there is taken and the scan jumps past it. All vocabularies -- populations,
bodies, and the names of things that are neither (``kind`` ``"none"``: 职工书屋,
职工之家) -- share one :class:`Lexicon`, so a body name that contains a
population word (女职工委员会) shadows it, and a blocked compound shadows both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policykg.errors import PolicyKGError

NONE = "none"  # the kind of an entry that only exists to shadow shorter names


@dataclass(frozen=True)
class Entry:
    """One surface form of one curated thing."""

    surface: str
    kind: str  # population | body | programme | none | …
    key: str  # the slug of the thing (ignored for NONE)
    origin: str  # where it is curated, for error messages: "build/data/populations.yaml: couriers"


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    surface: str
    kind: str
    key: str


class LexiconError(PolicyKGError):
    """Two curated files (or entries) give one surface form two meanings."""


class Lexicon:
    """A set of entries, searchable leftmost-longest."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries: dict[str, Entry] = {}
        for entry in entries:
            if not entry.surface:
                raise LexiconError(f"{entry.origin}: an empty name")
            known = self.entries.get(entry.surface)
            if known is not None and (known.kind, known.key) != (entry.kind, entry.key):
                raise LexiconError(
                    f"“{entry.surface}” is curated twice with different meanings: "
                    f"{known.origin} ({known.kind} {known.key}) and {entry.origin} ({entry.kind} {entry.key}); "
                    "keep it in one place"
                )
            self.entries.setdefault(entry.surface, entry)
        self._lengths: dict[str, list[int]] = {}
        for surface in self.entries:
            self._lengths.setdefault(surface[0], []).append(len(surface))
        for lengths in self._lengths.values():
            lengths.sort(reverse=True)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, surface: str) -> bool:
        return surface in self.entries

    def longest_at(self, text: str, start: int) -> Entry | None:
        """The longest entry that starts at ``text[start]``, if any."""
        for length in self._lengths.get(text[start], ()):
            entry = self.entries.get(text[start:start + length])
            if entry is not None:
                return entry
        return None

    def find(self, text: str, kinds: Iterable[str] | None = None) -> list[Match]:
        """Non-overlapping leftmost-longest matches; ``kinds`` filters the result (not the scan)."""
        wanted = None if kinds is None else set(kinds)
        matches = []
        position = 0
        while position < len(text):
            entry = self.longest_at(text, position)
            if entry is None:
                position += 1
                continue
            end = position + len(entry.surface)
            if entry.kind != NONE and (wanted is None or entry.kind in wanted):
                matches.append(Match(position, end, entry.surface, entry.kind, entry.key))
            position = end
        return matches
