"""Text that remembers where it came from.

A :class:`MappedText` is a cleaned string in which every character keeps the
offset of the raw character it was read from, in one source file. Cleaning
(dropping the newspaper's hard line breaks, letter-spacing, bullets and
markdown; full-width punctuation) only deletes or maps characters one to one,
so any slice of the clean text can be traced back to raw offsets, and the
quote recorded in the graph is always the raw slice ``text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from policykg.build.sources import SourceText


@dataclass(frozen=True, order=True)
class Span:
    """A raw slice of one source file: ``source.text[start:end] == quote``."""

    file: str
    start: int
    end: int
    quote: str


# Where one character of a cleaned text was read: (file name, raw offset).
Origin = tuple[str, int]


# Characters a span may silently run across: what cleaning deletes between two
# kept characters of the same passage (line breaks, letter-spacing, markdown).
_BRIDGEABLE = re.compile(r"[\s*#>\-–—]*")  # noqa: RUF001

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’《》、。，；：！？（）]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9.%]")

# ASCII punctuation an OCR pass put into Chinese text, and its full-width form.
FULL_WIDTH_PUNCTUATION = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"})


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


class MappedText:
    """A clean string plus, for each character, its raw offset in ``source``."""

    __slots__ = ("source", "text", "offsets")

    def __init__(self, source: SourceText, text: str, offsets: Iterable[int]):
        self.source = source
        self.text = text
        self.offsets = tuple(offsets)
        if len(self.offsets) != len(text):
            raise ValueError("a MappedText needs one raw offset per character")

    # construction -------------------------------------------------------
    @classmethod
    def raw(cls, source: SourceText, start: int = 0, end: int | None = None) -> "MappedText":
        """The raw slice ``source.text[start:end]``, mapped one to one."""
        end = len(source.text) if end is None else end
        return cls(source, source.text[start:end], range(start, end))

    @classmethod
    def empty(cls, source: SourceText) -> "MappedText":
        return cls(source, "", ())

    # sequence behaviour ---------------------------------------------------
    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"MappedText({self.source.name!r}, {self.text[:30]!r}{'…' if len(self.text) > 30 else ''})"

    def __getitem__(self, index: slice) -> "MappedText":
        if not isinstance(index, slice):
            raise TypeError("index a MappedText with a slice")
        return MappedText(self.source, self.text[index], self.offsets[index])

    def __add__(self, other: "MappedText") -> "MappedText":
        if other.source is not self.source and other.source.name != self.source.name:
            raise ValueError("cannot join texts of different source files")
        return MappedText(self.source, self.text + other.text, self.offsets + other.offsets)

    @staticmethod
    def join(parts: list["MappedText"], separator: str = "") -> "MappedText":
        """Join pieces of one file; a separator gets the offset of the character before it."""
        if not parts:
            raise ValueError("nothing to join")
        text, offsets = [], []
        for index, part in enumerate(parts):
            if index and separator and offsets:
                text.append(separator)
                offsets.extend([offsets[-1]] * len(separator))
            text.append(part.text)
            offsets.extend(part.offsets)
        return MappedText(parts[0].source, "".join(text), offsets)

    # cleaning (delete or map one to one, never insert) ---------------------
    def keep(self, predicate) -> "MappedText":
        """Keep the characters at indices for which ``predicate(index)`` is true."""
        kept = [i for i in range(len(self.text)) if predicate(i)]
        return MappedText(self.source, "".join(self.text[i] for i in kept), (self.offsets[i] for i in kept))

    def delete(self, pattern: str | re.Pattern) -> "MappedText":
        """Delete every match of ``pattern``."""
        doomed = set()
        for match in re.finditer(pattern, self.text):
            doomed.update(range(match.start(), match.end()))
        return self.keep(lambda i: i not in doomed)

    def translate(self, table: dict) -> "MappedText":
        """Map characters one to one (``str.maketrans`` table of single characters)."""
        return MappedText(self.source, self.text.translate(table), self.offsets)

    def strip(self, chars: str | None = None) -> "MappedText":
        stripped_left = len(self.text) - len(self.text.lstrip(chars))
        stripped_right = len(self.text.rstrip(chars))
        return self[stripped_left:max(stripped_left, stripped_right)]

    def find(self, sub: str, start: int = 0) -> int:
        return self.text.find(sub, start)

    # provenance -----------------------------------------------------------
    def spans(self) -> list[Span]:
        """The raw slices this text was read from, in order.

        Consecutive characters stay in one span when the raw text between them
        holds only what cleaning deletes (line breaks, spaces, markdown); a
        layout interruption (a table-of-contents block between two halves of
        a paragraph) starts a new span.
        """
        raw = self.source.text
        spans: list[Span] = []
        run_start = None
        previous = None
        for offset in self.offsets:
            if previous is not None and offset == previous:
                continue  # a separator inserted by join()
            if run_start is None:
                run_start = offset
            elif offset < previous or not _BRIDGEABLE.fullmatch(raw[previous + 1:offset]):
                spans.append(Span(self.source.name, run_start, previous + 1, raw[run_start:previous + 1]))
                run_start = offset
            previous = offset
        if run_start is not None:
            spans.append(Span(self.source.name, run_start, previous + 1, raw[run_start:previous + 1]))
        return spans

    def origins(self) -> tuple[Origin, ...]:
        """Per character, the (file, raw offset) it was read from."""
        return tuple((self.source.name, o) for o in self.offsets)

    def span(self) -> Span:
        """The single raw slice covering this text (first to last character)."""
        if not self.offsets:
            raise ValueError("an empty text has no span")
        start, end = min(self.offsets), max(self.offsets) + 1
        return Span(self.source.name, start, end, self.source.text[start:end])


def clean_chinese(text: MappedText) -> MappedText:
    """The cleaned reading of OCR'd Chinese newspaper text.

    - line breaks are dropped (the newspaper's hard column breaks fall inside
      words and numbers);
    - other white space is dropped unless it separates two ASCII words or
      numbers ("CPTPP 劳工条款" keeps none, "2022 年" keeps none, "a b" keeps one),
      or is a single space between two Chinese phrases on one line, as in the
      slogan "喜迎二十大 建功新时代" or "中共中央 国务院" (letter-spacing such as
      "二 是 深 化" is dropped);
    - ASCII punctuation next to Chinese text becomes full-width.
    """
    chars = text.text
    length = len(chars)

    def keep(i: int) -> bool:
        char = chars[i]
        if char in "\r\n":
            return False
        if not char.isspace():
            return True
        if i and chars[i - 1].isspace() and chars[i - 1] not in "\r\n":
            return False  # collapse runs to their first character
        left = next((chars[j] for j in range(i - 1, -1, -1) if not chars[j].isspace()), "")
        right = next((chars[j] for j in range(i + 1, length) if not chars[j].isspace()), "")
        if left and right and _ASCII_ALNUM.match(left) and _ASCII_ALNUM.match(right):
            return True
        return _separates_phrases(chars, i)

    kept = text.keep(keep)
    spaced = "".join(" " if c.isspace() else c for c in kept.text)
    out = list(spaced)
    for i, char in enumerate(out):
        if char in ",;:()?!":
            left = out[i - 1] if i else ""
            right = out[i + 1] if i + 1 < len(out) else ""
            if (left and is_cjk(left)) or (right and is_cjk(right)) or char in "()":
                out[i] = char.translate(FULL_WIDTH_PUNCTUATION)
    return MappedText(kept.source, "".join(out), kept.offsets)


def _separates_phrases(chars: str, i: int) -> bool:
    """A lone space between two Chinese characters that are not themselves letter-spaced."""
    if not (0 < i < len(chars) - 1) or chars[i] != " ":
        return False
    left, right = chars[i - 1], chars[i + 1]
    if not (_HAN.match(left) and _HAN.match(right)):
        return False
    before = chars[i - 2] if i >= 2 else ""
    after = chars[i + 2] if i + 2 < len(chars) else ""
    return before not in " \t\u3000" and after not in " \t\u3000"


_NUMERAL_DIGITS = "一二三四五六七八九"


def chinese_number(numeral: str) -> int:
    """The value of a Chinese numeral from 一 to 九十九 (ordinals of sections and points)."""
    tens, has_ten, units = numeral.partition("十")
    if not has_ten:
        tens, units = "", numeral
    if len(tens) > 1 or len(units) > 1 or any(c not in _NUMERAL_DIGITS for c in tens + units):
        raise ValueError(f"not a Chinese numeral from 一 to 九十九: {numeral!r}")
    if not has_ten and not units:
        raise ValueError("an empty numeral")

    def digit(char: str, default: int) -> int:
        return _NUMERAL_DIGITS.index(char) + 1 if char else default

    return digit(tens, 1) * 10 + digit(units, 0) if has_ten else digit(units, 0)


SENTENCE_END = "。！？"
CLOSING_MARKS = "”’」』）"  # stay with the sentence they close


def sentence_ends(text: str, ends: str = SENTENCE_END) -> list[int]:
    """The index just after each sentence-final mark and the closing quotes that follow it."""
    found = []
    for index, char in enumerate(text):
        if char in ends:
            after = index + 1
            while after < len(text) and text[after] in CLOSING_MARKS:
                after += 1
            found.append(after)
    return found


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, white space around it excluded, empty ones dropped."""
    bounds = []
    start = 0
    for end in sentence_ends(text) + [len(text)]:
        if end <= start:
            continue
        piece = text[start:end]
        left = start + len(piece) - len(piece.lstrip())
        right = start + len(piece.rstrip())
        if right > left:
            bounds.append((left, right))
        start = end
    return bounds


def split_sentences(text: MappedText) -> list[MappedText]:
    """Split at sentence-final punctuation (。！？), keeping a closing quote with its sentence."""
    return [text[start:end] for start, end in sentence_bounds(text.text)]
