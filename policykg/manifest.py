"""``manifest.json``: what a build wrote (bytes and SHA-256 of each file), and the check that a file still is that.

One module for both sides, so the writer and the readers cannot drift apart:
:func:`policykg.build.serialise.render_manifest` writes entries made by
:func:`file_entry`; :func:`read_manifest` reads them back; and
:func:`verified_copy` is what the API does at start before loading a data file.

Why the API checks at all: a build is written file by file (temporary files,
then renames, the manifest last), and files can be damaged afterwards (a copy
cut short, a full disk, an editor). A TriG file truncated at a statement
boundary still parses, so loading it would serve half a graph without a word.
The manifest beside the file says what the build wrote; a file that does not
match it is refused at start, naming the file and what to run.

Why a *copy*: the ``/sparql`` worker processes load the data file themselves,
and again whenever one is replaced (a query stopped at the time limit kills
its worker). Had they loaded ``dist/policykg.trig`` by name, a build finishing
(or a file damaged) while the server runs would give them other data than the
checked file. So the checked bytes are copied, as they are hashed, into a
sealed memory file, and every process of the server loads that.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from policykg.errors import PolicyKGError

MANIFEST = "manifest.json"
CHUNK = 1 << 20
LINK_PREFIX = "policykg-data-"  # the folders in the temporary directory that hold a server's link to its copy


class ManifestMismatch(PolicyKGError):
    """A built file is not what ``manifest.json`` beside it records (truncated, corrupt, or from another build)."""


@dataclass(frozen=True)
class Entry:
    """What the manifest records of one file."""

    bytes: int
    sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(data: bytes) -> dict[str, object]:
    """The manifest's record of one file's bytes (the JSON written by the build)."""
    return {"bytes": len(data), "sha256": sha256(data)}


def read_manifest(folder: Path) -> dict[str, Entry] | None:
    """The files ``folder/manifest.json`` lists, by name; None when there is no manifest there.

    A manifest that exists but cannot be read is an error: the build writes it
    last, whole, so a damaged one means the folder is not a complete build.
    """
    path = Path(folder) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestMismatch(f"{path} cannot be read ({error}); run `policykg build --out {folder}` again") from None
    try:
        files = json.loads(text)["files"]
        return {name: Entry(int(entry["bytes"]), str(entry["sha256"]).lower()) for name, entry in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ManifestMismatch(f"{path} is not a build manifest ({type(error).__name__}: {error}); "
                               f"run `policykg build --out {folder}` again") from None


def expected_entry(path: Path) -> Entry | None:
    """What the manifest beside ``path`` records for it; None when no manifest there lists it."""
    manifest = read_manifest(path.parent)
    return None if manifest is None else manifest.get(path.name)


def mismatch_message(path: Path, expected: Entry, actual: Entry) -> str:
    manifest = path.parent / MANIFEST
    if actual.bytes < expected.bytes:
        size = f"{actual.bytes:,} bytes where the build wrote {expected.bytes:,}: the file is truncated"
    elif actual.bytes > expected.bytes:
        size = f"{actual.bytes:,} bytes where the build wrote {expected.bytes:,}: something was added to the file"
    else:
        size = f"the size the build wrote ({actual.bytes:,} bytes) but other bytes: the file is corrupt or was edited"
    return (f"{path}: its sha256 {actual.sha256} does not match {manifest} ({expected.sha256}); {size}. "
            f"Nothing was loaded. Run `policykg build --out {path.parent}` again to write a complete build.")


def verify_file(path: Path) -> Entry | None:
    """Check ``path`` against the manifest beside it; its entry, or None when no manifest lists it (not checked)."""
    expected = expected_entry(path)
    if expected is None:
        return None
    actual = hash_file(path)
    if actual != expected:
        raise ManifestMismatch(mismatch_message(path, expected, actual))
    return actual


def hash_file(path: Path) -> Entry:
    """The size and SHA-256 of the file at ``path``, read in chunks."""
    return _hash_and_copy(path, None)


def _hash_and_copy(source: Path, target: int | None) -> Entry:
    """The size and SHA-256 of what is read from ``source`` (one open file), written to the ``target`` descriptor."""
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
            size += len(block)
            if target is not None:
                view = memoryview(block)
                while view:
                    view = view[os.write(target, view):]
    return Entry(size, digest.hexdigest())


@dataclass(frozen=True)
class VerifiedData:
    """What a server loads: ``path`` reads the checked bytes of ``source`` and cannot change (or is ``source`` itself).

    ``entry`` is the manifest's record the bytes match (None: no manifest
    lists the file, it was loaded unchecked).
    """

    source: Path
    path: Path
    entry: Entry | None


def verified_copy(source: Path, owner: object | None = None) -> VerifiedData:
    """Check a data file against the manifest beside it; a path to an unchangeable copy of the checked bytes.

    The copy is a sealed memory file (``memfd``: the kernel refuses any write
    to it, and frees it when this process ends, however it ends), reached by
    the other processes of this server through ``/proc/PID/fd/N``. A symbolic
    link to it, named like ``source`` (the loader reads the format from the
    extension), is the path returned; it is removed when ``owner`` (by default
    the returned value) is garbage-collected or the process exits normally, and
    by the next server's start when this one was killed. It costs memory the
    size of the file, once per server (the stores cost several times that).

    A file no manifest lists (given with ``--data`` / ``POLICYKG_DATA``
    outside a build folder) is copied unchecked. Anything that is not a file
    (a directory store, a missing path) is returned as it is, for the loader
    to open or refuse; so is a file on a system without ``memfd_create``,
    after the check.
    """
    source = Path(source)
    if not source.is_file():
        return VerifiedData(source, source, None)
    expected = expected_entry(source)
    if not hasattr(os, "memfd_create"):
        return VerifiedData(source, source, verify_file(source))
    _remove_stale_links()
    descriptor = os.memfd_create(f"policykg:{source.name}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    folder: Path | None = None
    try:
        actual = _hash_and_copy(source, descriptor)
        if expected is not None and actual != expected:
            raise ManifestMismatch(mismatch_message(source, expected, actual))
        fcntl.fcntl(descriptor, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
        folder = Path(tempfile.mkdtemp(prefix=LINK_PREFIX))
        link = folder / source.name
        link.symlink_to(f"/proc/{os.getpid()}/fd/{descriptor}")
    except BaseException:
        os.close(descriptor)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    data = VerifiedData(source, link, actual if expected is not None else None)
    weakref.finalize(owner if owner is not None else data, _release, descriptor, folder)
    return data


def _release(descriptor: int, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    os.close(descriptor)


def _remove_stale_links() -> None:
    """Remove the links a killed server left: each names ``/proc/PID/fd/N``, and that process is gone.

    (A process is judged by whether ``/proc/PID`` exists, never by following
    the link, which another server's process might not be allowed to do.)
    """
    for folder in Path(tempfile.gettempdir()).glob(f"{LINK_PREFIX}*"):
        try:
            targets = [os.readlink(link) for link in folder.iterdir()]
        except OSError:  # not ours to read, or not a folder of links
            continue
        pids = [target.split("/")[2] for target in targets if target.startswith("/proc/")]
        if pids and len(pids) == len(targets) and not any(os.path.exists(f"/proc/{pid}") for pid in pids):
            shutil.rmtree(folder, ignore_errors=True)


def describe(files: Mapping[str, bytes]) -> dict[str, dict[str, object]]:
    """Entries for every file given, by name (what the build's manifest lists)."""
    return {name: file_entry(data) for name, data in files.items()}
