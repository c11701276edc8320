"""Vendor the browser packages the pages use, from the npm registry, checked against pinned digests.

Run it once after installing (the server never needs Node or npm, nor the
network, and the browser never fetches from a CDN)::

    policykg vendor                 # into dist/vendor/ (what `policykg serve` serves at /vendor/)
    policykg vendor --out DIR       # into DIR/vendor/, for a server started with --out DIR or --data DIR/…

What it does, for each package of ``api/vendor.yaml`` (name, version, the
tarball's ``integrity`` as the registry publishes it, the files to copy):

1. if ``DEST/<name>/`` already holds that version, its manifest naming the
   same digest and every listed file hashing as the manifest says, nothing
   is done (so the command is idempotent and cheap to repeat);
2. else the tarball is downloaded with httpx from the registry
   (``https://registry.npmjs.org`` or ``--registry URL``, a mirror: the digest
   still decides) and its SHA-512 compared with the pinned ``integrity``; a
   mismatch raises :class:`IntegrityError` naming the package and both digests,
   and nothing is written;
3. only the listed files are extracted (regular files only; nothing outside
   ``DEST/<name>/`` can be written), with ``vendor-manifest.json`` (version,
   digest, SHA-256 of each file), into a temporary folder beside the target,
   which then replaces ``DEST/<name>/`` by rename: a failed or interrupted run
   leaves the previous copy (or none) in place, never half a package.

The pages work without these files (a plain text area instead of the editor);
:func:`installed` is what the server asks at start.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from policykg.errors import PolicyKGError

DEFAULT_DEST = Path("dist") / "vendor"
REGISTRY = "https://registry.npmjs.org"
MANIFEST = "vendor-manifest.json"
DOWNLOAD_TIMEOUT = 60.0  # seconds
MAX_TARBALL_BYTES = 50 * 1024 * 1024
_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_INTEGRITY = re.compile(r"^sha512-[A-Za-z0-9+/]{86}==$")


class VendorError(PolicyKGError):
    """A package could not be vendored: a bad spec, an unreachable registry, a tarball without a listed file."""


class IntegrityError(VendorError):
    """The downloaded tarball is not the one pinned: its SHA-512 differs from the ``integrity`` in the spec."""

    def __init__(self, package: str, expected: str, actual: str, source: str = ""):
        self.package = package
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{package}: the tarball{f' from {source}' if source else ''} fails its integrity check: "
            f"expected {expected}, got {actual}; nothing was written (a tampered download or mirror, "
            "or a wrong pin in api/vendor.yaml)")

    def __reduce__(self):
        return (IntegrityError, (self.package, self.expected, self.actual))


@dataclass(frozen=True)
class Package:
    """One pinned npm package and the files of it the pages use."""

    name: str
    version: str
    integrity: str
    files: tuple[str, ...]
    license: str = ""

    @property
    def tarball_name(self) -> str:
        return f"{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    def tarball_url(self, registry: str = REGISTRY) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.tarball_name}"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Spec:
    registry: str
    packages: tuple[Package, ...]


@dataclass(frozen=True)
class Result:
    """What :func:`vendor` did for one package: ``fetched`` it, or found it ``present`` and intact."""

    package: Package
    path: Path
    fetched: bool
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256


def spec_file() -> Path:
    """``api/vendor.yaml`` (package data of ``policykg.api`` in an install)."""
    return Path(str(importlib.resources.files("policykg.api") / "vendor.yaml"))


def load_spec(path: Path | None = None) -> Spec:
    """The pinned packages; :class:`VendorError` names the file and the field that is wrong."""
    path = path or spec_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise VendorError(f"{path}: cannot be read: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("packages"), list):
        raise VendorError(f"{path}: needs a `packages:` list (name, version, integrity, files)")
    packages = []
    for number, entry in enumerate(data["packages"], 1):
        where = f"{path}, package {number}"
        if not isinstance(entry, dict):
            raise VendorError(f"{where}: must be a mapping of name, version, integrity, files")
        name, version, integrity = (str(entry.get(key, "")) for key in ("name", "version", "integrity"))
        files = entry.get("files")
        if not _NAME.match(name):
            raise VendorError(f"{where}: name {name!r} is not an npm package name")
        if not _VERSION.match(version):
            raise VendorError(f"{where} ({name}): version {version!r} must be exact, e.g. 5.65.21 (no ranges)")
        if not _INTEGRITY.match(integrity):
            raise VendorError(f"{where} ({name}): integrity must be the registry's sha512-… digest, not {integrity!r}")
        if not isinstance(files, list) or not files:
            raise VendorError(f"{where} ({name}): `files` must list the paths to copy from the tarball")
        for file in files:
            _check_relative(str(file), f"{where} ({name})")
        packages.append(Package(name, version, integrity, tuple(str(f) for f in files), str(entry.get("license", ""))))
    return Spec(str(data.get("registry") or REGISTRY), tuple(packages))


def _check_relative(file: str, where: str) -> None:
    pure = PurePosixPath(file)
    if (not file or pure.is_absolute() or "\\" in file or any(part in ("", ".", "..") for part in file.split("/"))
            or file == MANIFEST):
        raise VendorError(f"{where}: file {file!r} must be a plain relative path inside the package")


# --------------------------------------------------------------------------- digests
def sri_sha512(data: bytes) -> str:
    """The Subresource Integrity form of the SHA-512 of ``data`` (what npm's ``integrity`` holds)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def verify(data: bytes, package: Package, source: str = "") -> None:
    """Raise :class:`IntegrityError` unless ``data`` is the pinned tarball."""
    actual = sri_sha512(data)
    if actual != package.integrity:
        raise IntegrityError(package.label, package.integrity, actual, source)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- what is installed
def read_manifest(folder: Path) -> dict | None:
    """The manifest of a vendored package folder, if it has a readable one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None
    return manifest


def intact(folder: Path, manifest: dict) -> bool:
    """Whether every file the manifest lists is there with the SHA-256 it records."""
    try:
        return all(_sha256((folder / name).read_bytes()) == digest for name, digest in manifest["files"].items())
    except OSError:
        return False


def is_current(folder: Path, package: Package) -> bool:
    """Whether ``folder`` holds exactly this pin, its files intact."""
    manifest = read_manifest(folder)
    return (manifest is not None and manifest.get("name") == package.name
            and manifest.get("version") == package.version and manifest.get("integrity") == package.integrity
            and sorted(manifest["files"]) == sorted(package.files) and intact(folder, manifest))


def installed(dest: Path) -> dict[str, dict]:
    """The packages vendored in ``dest`` whose files are intact, by name: their manifests."""
    found: dict[str, dict] = {}
    if not dest.is_dir():
        return found
    for manifest_path in sorted(dest.glob(f"*/{MANIFEST}")) + sorted(dest.glob(f"@*/*/{MANIFEST}")):
        folder = manifest_path.parent
        manifest = read_manifest(folder)
        # a package's folder is its name (temporary folders of a run in progress start with a dot)
        if (manifest and manifest.get("name") == folder.relative_to(dest).as_posix()
                and intact(folder, manifest)):
            found[manifest["name"]] = manifest
    return found


# --------------------------------------------------------------------------- download and extract
def download(url: str, timeout: float = DOWNLOAD_TIMEOUT) -> bytes:
    """The bytes at ``url`` (httpx; proxies from the environment); :class:`VendorError` when it fails."""
    import httpx

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise VendorError(f"{url}: the registry answered HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_TARBALL_BYTES:
                    raise VendorError(f"{url}: more than {MAX_TARBALL_BYTES:,} bytes; not a package these pages use")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as error:
        raise VendorError(f"{url}: cannot be downloaded ({type(error).__name__}: {error}); the npm registry "
                          "must be reachable, or give a mirror with --registry") from None


def extract(data: bytes, package: Package, folder: Path) -> dict[str, str]:
    """Write the listed files of the tarball into ``folder``; their SHA-256 by path.

    npm tarballs hold one top folder (``package/``), which is stripped, as npm does.
    Only regular files named in the spec are written, so links and ``..`` paths in
    the tarball cannot write anywhere else.
    """
    wanted = set(package.files)
    contents: dict[str, bytes] = {}
    metadata: bytes | None = None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                parts = member.name.split("/", 1)
                if len(parts) != 2 or not member.isreg():
                    continue
                path = parts[1]
                if path in wanted or path == "package.json":
                    handle = archive.extractfile(member)
                    content = handle.read() if handle is not None else b""
                    if path == "package.json":
                        metadata = content
                    if path in wanted:
                        contents[path] = content
    except (tarfile.TarError, OSError, EOFError) as error:
        raise VendorError(f"{package.label}: the tarball cannot be read: {error}") from None
    missing = sorted(wanted - set(contents))
    if missing:
        raise VendorError(f"{package.label}: the tarball has no {', '.join(missing)}; fix `files` in api/vendor.yaml")
    _check_metadata(metadata, package)
    digests = {}
    for path in package.files:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[path])
        digests[path] = _sha256(contents[path])
    return digests


def _check_metadata(metadata: bytes | None, package: Package) -> None:
    """The tarball's package.json names the pinned package and version (a digest copied from another pin fails here)."""
    try:
        info = json.loads(metadata or b"")
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise VendorError(f"{package.label}: the tarball has no readable package.json")
    if info.get("name") != package.name or info.get("version") != package.version:
        raise VendorError(f"{package.label}: the tarball is {info.get('name')}@{info.get('version')}, "
                          "not the package pinned in api/vendor.yaml")


def install(data: bytes, package: Package, dest: Path, source: str = "") -> Result:
    """Verify the tarball, extract the listed files and put them in place as ``dest/<name>/`` by rename."""
    verify(data, package, source)
    target = dest / package.name
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = package.name.rsplit("/", 1)[-1]
    _remove_leftovers(target.parent, stem)
    temporary = Path(tempfile.mkdtemp(prefix=f".{stem}.", suffix=".tmp", dir=target.parent))
    previous: Path | None = None
    try:
        digests = extract(data, package, temporary)
        manifest = {"name": package.name, "version": package.version, "integrity": package.integrity,
                    "license": package.license, "source": source or package.tarball_url(), "files": digests}
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if target.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{stem}.", suffix=".old", dir=target.parent))
            os.replace(target, previous / "package")
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        if previous is not None and (previous / "package").exists() and not target.exists():
            os.replace(previous / "package", target)  # put the old copy back
        raise
    finally:
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return Result(package, target, fetched=True, files=digests)


def _remove_leftovers(parent: Path, stem: str) -> None:
    """Temporary folders of an earlier run that was killed."""
    for leftover in list(parent.glob(f".{stem}.*.tmp")) + list(parent.glob(f".{stem}.*.old")):
        shutil.rmtree(leftover, ignore_errors=True)


def vendor(dest: Path = DEFAULT_DEST, *, spec: Path | None = None, registry: str | None = None,
           fetch: Callable[[str], bytes] | None = None, force: bool = False) -> list[Result]:
    """Vendor every package of the spec into ``dest`` (see the module's docstring); what was done for each.

    ``fetch`` downloads a URL (default :func:`download`; tests pass their own).
    ``force`` downloads again even when an intact copy is present.
    """
    pinned = load_spec(spec)
    fetch = fetch or download
    results = []
    for package in pinned.packages:
        target = dest / package.name
        if not force and is_current(target, package):
            results.append(Result(package, target, fetched=False, files=read_manifest(target)["files"]))
            continue
        url = package.tarball_url(registry or pinned.registry)
        results.append(install(fetch(url), package, dest, source=url))
    return results
