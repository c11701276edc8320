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
    """Decode a source file as strict UTF-8, naming the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(
            name,
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at byte offset {error.start}); "
            "the corpus must be vendored byte-identical from the UTF-8 originals",
            line=line,
        ) from None


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
