"""The vendored corpus is the corpus: every way a file can go wrong is caught and named."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from policykg.build.sources import MANIFEST, load_corpus, read_manifest
from policykg.errors import SourceError
from policykg.resources import REPO_ROOT, sources_dir

SHARED_SOURCES = REPO_ROOT.parent / "shared" / "sources"
VICTIM = "001_42e14eb1134fccac.txt"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of sources/ to damage."""
    copy = Path(shutil.copytree(sources_dir(), tmp_path / "sources"))
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


def manifest_rows() -> list[dict[str, str]]:
    with (sources_dir() / MANIFEST).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def failure(directory: Path) -> str:
    with pytest.raises(SourceError) as caught:
        load_corpus(directory)
    return str(caught.value)


# --------------------------------------------------------------------------- the real corpus
def test_manifest_lists_exactly_the_vendored_files() -> None:
    listed = {row["file"] for row in manifest_rows()}
    assert listed == {path.name for path in sources_dir().glob("*.txt")}
    assert len(listed) == 5


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda row: row["file"])
def test_every_hash_matches_the_vendored_file(row: dict[str, str]) -> None:
    assert hashlib.sha256((sources_dir() / row["file"]).read_bytes()).hexdigest() == row["sha256"]


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda row: row["file"])
def test_every_hash_matches_the_shared_original(row: dict[str, str]) -> None:
    if not SHARED_SOURCES.is_dir():
        pytest.skip(f"{SHARED_SOURCES} is not on this machine")
    assert hashlib.sha256((SHARED_SOURCES / row["file"]).read_bytes()).hexdigest() == row["sha256"]


def test_the_corpus_loads_in_manifest_order() -> None:
    corpus = load_corpus()
    assert list(corpus) == [entry.file for entry in read_manifest(sources_dir())]
    assert all(source.text for source in corpus.values())


# --------------------------------------------------------------------------- damage
def test_a_missing_file(corpus_dir: Path) -> None:
    (corpus_dir / VICTIM).unlink()
    message = failure(corpus_dir)
    assert VICTIM in message and "missing" in message


def test_an_altered_byte(corpus_dir: Path) -> None:
    path = corpus_dir / VICTIM
    data = bytearray(path.read_bytes())
    data[data.index(b"2")] = ord("3")  # "（上接第2版）" -> "第3版": still valid UTF-8, same length
    path.write_bytes(bytes(data))
    message = failure(corpus_dir)
    assert VICTIM in message and "SHA-256" in message and "altered" in message


def test_non_utf8_bytes_name_the_file_and_line(corpus_dir: Path) -> None:
    path = corpus_dir / VICTIM
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + b"\xff\xfe"
    path.write_bytes(b"\n".join(lines))
    message = failure(corpus_dir)
    assert VICTIM in message and "line 3" in message and "UTF-8" in message


def test_a_truncated_file(corpus_dir: Path) -> None:
    path = corpus_dir / VICTIM
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    message = failure(corpus_dir)
    assert VICTIM in message and "truncated" in message


def test_an_empty_file(corpus_dir: Path) -> None:
    (corpus_dir / VICTIM).write_bytes(b"")
    message = failure(corpus_dir)
    assert VICTIM in message and "empty" in message


def test_a_duplicate_manifest_row(corpus_dir: Path) -> None:
    manifest = corpus_dir / MANIFEST
    rows = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(rows + [row for row in rows if row.startswith(VICTIM)]), encoding="utf-8")
    message = failure(corpus_dir)
    assert MANIFEST in message and VICTIM in message and "twice" in message
