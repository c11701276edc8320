"""Stage 0: load the vendored corpus and prove it is the corpus.

``sources/manifest.csv`` lists every file with its document, role and SHA-256.
Loading checks each file exists, matches its hash, is UTF-8 and is not
truncated, and raises :class:`SourceError` naming the file otherwise. The
text is returned exactly as decoded: offsets everywhere else index into it.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from policykg.errors import SourceError
from policykg.resources import sources_dir

MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("file", "document", "role", "sha256")


@dataclass(frozen=True)
class SourceText:
    """One vendored file: its name, the document it belongs to, and its decoded text."""

    name: str
    document: str  # resource path of the document, e.g. "plan/acftu-14th-fyp"
    role: str
    sha256: str
    text: str

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    document: str
    role: str
    sha256: str


def read_manifest(directory: Path) -> list[ManifestEntry]:
    path = directory / MANIFEST
    if not path.is_file():
        raise SourceError(str(path), "the manifest is missing; it lists every source file with its SHA-256")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MANIFEST_FIELDS:
            raise SourceError(str(path), f"header must be {','.join(MANIFEST_FIELDS)}", line=1)
        entries = []
        for line_number, row in enumerate(reader, start=2):
            if any(not (row.get(field) or "").strip() for field in MANIFEST_FIELDS):
                raise SourceError(str(path), "every field must be filled", line=line_number)
            entries.append(ManifestEntry(**{field: row[field].strip() for field in MANIFEST_FIELDS}))
    names = [entry.file for entry in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SourceError(str(path), f"file listed twice: {', '.join(duplicates)}")
    return entries


def decode(name: str, data: bytes) -> str:
    """Decode a source file as strict UTF-8, naming the line of the first bad byte.

    A file re-saved in a Chinese legacy encoding (GBK, GB18030: what an editor
    on a Chinese-locale Windows writes) is said to be one, with the command
    that converts it back.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        where = f"not valid UTF-8 (byte 0x{data[error.start]:02x} at byte offset {error.start})"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            fix = "; it starts with a UTF-16 byte-order mark: re-save it as UTF-8 (without a byte-order mark)"
        elif is_legacy_chinese(data):
            fix = ("; it decodes as GB18030/GBK, a Chinese legacy encoding: re-save it as UTF-8 "
                   f"(e.g. iconv -f GB18030 -t UTF-8 {name} > {name}.utf8, then replace the file)")
        else:
            fix = "; the corpus must be vendored byte-identical from the UTF-8 originals"
        raise SourceError(name, where + fix, line=line) from None


def is_legacy_chinese(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Chinese text in GB18030 (a superset of GBK and GB2312).

    UTF-8 Chinese with one stray byte often decodes as GB18030 too (as mojibake),
    so that alone proves nothing: it must also be mostly *not* UTF-8, as a GBK
    file is (its two-byte characters are almost never valid UTF-8 sequences).
    """
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    non_ascii = sum(byte > 0x7F for byte in data)
    as_utf8 = data.decode("utf-8", errors="replace")
    valid = sum(len(char.encode("utf-8")) for char in as_utf8 if char > "\x7f" and char != "\ufffd")
    return valid * 2 < non_ascii and any("\u4e00" <= char <= "\u9fff" for char in text)


def load_source(directory: Path, entry: ManifestEntry, verify_hash: bool = True) -> SourceText:
    path = directory / entry.file
    if not path.is_file():
        raise SourceError(entry.file, f"missing from {directory}; vendor it byte-identical from the corpus")
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(entry.file, "is empty")
    digest = hashlib.sha256(data).hexdigest()
    if verify_hash and digest != entry.sha256:
        text = decode(entry.file, data)  # a decoding problem is the more useful message
        raise SourceError(
            entry.file,
            f"SHA-256 is {digest}, the manifest says {entry.sha256}: the file was altered or truncated "
            f"({len(text)} characters). Restore it from the corpus; offsets into it would be wrong.",
        )
    return SourceText(entry.file, entry.document, entry.role, digest, decode(entry.file, data))


def load_corpus(directory: Path | None = None, verify_hash: bool = True) -> dict[str, SourceText]:
    """All files of the manifest, by file name, in manifest order."""
    directory = directory or sources_dir()
    return {entry.file: load_source(directory, entry, verify_hash) for entry in read_manifest(directory)}
