"""Faults (issue 6): what the server and the build do when something breaks, tried for real.

* **A damaged data file.** ``dist/policykg.trig`` cut mid-statement, cut at a
  graph's closing brace (the rest still parses: half a graph), or with one digit
  changed (still parses: wrong data): the API refuses to start, naming the file
  and ``manifest.json`` and saying to build again (``policykg.manifest``);
  ``policykg serve`` prints that and exits 2. The worker processes load the
  checked bytes, never the file by name, so a file changed while the server runs
  does not reach them either.
* **A build killed while writing.** ``policykg build --out DIR`` over a good DIR,
  SIGKILLed halfway through writing its temporary files (a driver script holds
  it there, so the kill lands at the same point every run): every output keeps
  its bytes and matches the manifest, the leftover ``*.tmp`` files are not
  outputs, and the next build removes them.
* **A restart.** The server stopped with SIGTERM shuts down cleanly (its worker
  processes end) and, started again, answers byte for byte as before.
* **The remote endpoint dies mid-run.** While requests stream to the API in
  remote mode, the Oxigraph server is SIGKILLed: every request answers 200 or a
  JSON 503 naming the endpoint, none 500, none slow; once the server is started
  again on the same port and data, requests succeed without restarting the API.
  (``tests/test_remote.py`` covers a clean stop between two requests.)

Everything runs on 127.0.0.1, with bounded counts and timeouts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse

from policykg.api.app import create_app
from policykg.api.settings import Settings
from policykg.build.serialise import TRIG, leftover_temporaries
from policykg.cli import main
from policykg.manifest import LINK_PREFIX, MANIFEST, ManifestMismatch, read_manifest, verified_copy, verify_file
from servers import LOOPBACK, alive, api_command, descendants, free_port, policykg_server, running
from test_remote import Oxigraph

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TURTLE = {"accept": "text/turtle"}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder: Path) -> dict[str, str]:
    return {path.name: sha256_of(path) for path in sorted(folder.iterdir()) if path.is_file()}


def quads_in(data: bytes) -> int:
    return sum(1 for _ in parse(data, format=RdfFormat.TRIG))


@pytest.fixture
def good_dist(dist_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's build that a test may damage."""
    return Path(shutil.copytree(dist_dir, tmp_path / "dist"))


# --------------------------------------------------------------------------- damaged data files
def cut_mid_statement(data: bytes) -> bytes:
    """Cut in the middle of a line half way through the file (inside a statement)."""
    middle = data.index(b"\n", len(data) // 2) + 1
    line_end = data.index(b"\n", middle)
    return data[: (middle + line_end) // 2]


def cut_at_graph_end(data: bytes) -> bytes:
    """Cut right after the ``}`` that closes the first named graph: what is left is valid TriG, a part of the graph."""
    return data[: data.index(b"\n}\n") + 3]


def change_one_digit(data: bytes) -> bytes:
    """One digit of a character offset changed (``pol:end 604`` -> ``pol:end 605``): valid TriG, wrong data."""
    at = data.index(b"pol:end ", len(data) // 3) + len(b"pol:end ")
    assert data[at:at + 1].isdigit()
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


DAMAGES = {"cut mid-statement": cut_mid_statement, "cut at a graph's end": cut_at_graph_end,
           "one digit changed": change_one_digit}


def test_the_sneaky_damages_still_parse(dist_dir: Path) -> None:
    """Why a parse error is not enough: two of the three damaged files load without a word."""
    data = (dist_dir / TRIG).read_bytes()
    whole = quads_in(data)
    assert 0 < quads_in(cut_at_graph_end(data)) < whole
    assert quads_in(change_one_digit(data)) == whole
    with pytest.raises(SyntaxError):
        quads_in(cut_mid_statement(data))


def own_links(pid: int | None = None) -> set[Path]:
    """The folders holding a link to a verified copy made by process ``pid`` (this one by default)."""
    prefix = f"/proc/{os.getpid() if pid is None else pid}/"
    found = set()
    for folder in Path(tempfile.gettempdir()).glob(f"{LINK_PREFIX}*"):
        try:
            if any(os.readlink(link).startswith(prefix) for link in folder.iterdir()):
                found.add(folder)
        except OSError:
            continue
    return found


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_data_file_stops_the_start(good_dist: Path, damage: str) -> None:
    data = good_dist / TRIG
    recorded = read_manifest(good_dist)[TRIG]
    damaged = DAMAGES[damage](data.read_bytes())
    data.write_bytes(damaged)
    before = own_links()

    with pytest.raises(ManifestMismatch) as failure:
        create_app(Settings(data=data))
    message = str(failure.value)
    assert message.startswith(f"{data}: its sha256 {hashlib.sha256(damaged).hexdigest()} does not match "
                              f"{good_dist / MANIFEST} ({recorded.sha256})")
    assert f"Run `policykg build --out {good_dist}` again" in message and "Nothing was loaded" in message
    if damage == "one digit changed":
        assert f"the size the build wrote ({recorded.bytes:,} bytes) but other bytes" in message
    else:
        assert f"{len(damaged):,} bytes where the build wrote {recorded.bytes:,}: the file is truncated" in message
    assert own_links() <= before  # no copy of the refused file is left behind

    # `policykg serve` prints the message (no traceback) and exits 2, before anything listens.
    port = free_port()
    served = subprocess.run([sys.executable, "-m", "policykg.cli", "serve", "--data", str(data), "--port", str(port)],
                            capture_output=True, text=True, timeout=120)
    assert served.returncode == 2, served.stderr
    assert served.stderr.strip() == f"policykg serve: {message}"
    assert served.stdout == ""


def test_a_damaged_data_file_stops_uvicorn_too(good_dist: Path) -> None:
    """The ``uvicorn --factory`` start (``POLICYKG_DATA``) fails the same way: the server never answers."""
    data = good_dist / TRIG
    data.write_bytes(cut_at_graph_end(data.read_bytes()))
    with pytest.raises(RuntimeError) as failure:
        with policykg_server({"POLICYKG_DATA": str(data)}):
            pytest.fail("the server answered over a damaged data file")
    assert "exited with" in str(failure.value)
    assert f"ManifestMismatch: {data}: its sha256" in str(failure.value)
    assert f"does not match {good_dist / MANIFEST}" in str(failure.value)


def test_a_damaged_manifest_stops_the_start(good_dist: Path) -> None:
    (good_dist / MANIFEST).write_text('{"dataset": "x", "fil', encoding="utf-8")
    with pytest.raises(ManifestMismatch, match=rf"{good_dist / MANIFEST} is not a build manifest \(JSONDecodeError"):
        create_app(Settings(data=good_dist / TRIG))


def test_a_file_without_a_manifest_loads_unchecked(good_dist: Path, tmp_path: Path) -> None:
    """``--data`` outside a build folder is loaded as before (docs/api.md says so); a build's file is checked."""
    checked = verified_copy(good_dist / TRIG)
    assert checked.entry == read_manifest(good_dist)[TRIG]
    alone = tmp_path / "mine" / "graph.trig"
    alone.parent.mkdir()
    alone.write_bytes(cut_at_graph_end((good_dist / TRIG).read_bytes()))
    unchecked = verified_copy(alone)
    assert unchecked.entry is None and unchecked.path.read_bytes() == alone.read_bytes()
    assert verify_file(alone) is None
    with TestClient(create_app(Settings(data=alone))) as client:
        assert client.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == \
            str(quads_in(alone.read_bytes()))


def test_the_workers_load_the_checked_bytes_not_the_file(good_dist: Path) -> None:
    """The file changes on disk (in place) while the server runs; a worker started afterwards still has the checked data."""
    data = good_dist / TRIG
    original = data.read_bytes()
    with TestClient(create_app(Settings(data=data, workers=1, query_timeout=1, answer_cache=0))) as client:
        def count() -> int:
            answer = client.get("/sparql", params={"query": COUNT})
            assert answer.status_code == 200, answer.text
            return int(answer.json()["results"]["bindings"][0]["n"]["value"])

        assert count() == quads_in(original)
        with data.open("r+b") as stream:  # the same inode, rewritten: half the graph, still valid TriG
            stream.write(cut_at_graph_end(original))
            stream.truncate()
        stopped = client.get("/sparql", params={"query": RUNAWAY})
        assert stopped.status_code == 503 and "1 s limit" in stopped.json()["error"]  # the worker was killed
        assert count() == quads_in(original)  # ... and its replacement loaded the checked bytes
        assert client.get("/items/16").status_code == 200
        backend = client.app.state.services.backend
        with pytest.raises(OSError):  # nobody can change the copy
            with backend.data.path.open("r+b") as copy:
                copy.write(b"#")


# --------------------------------------------------------------------------- a build killed while writing
# Runs `policykg build --out DIR`, but writes only the first half of the TriG file's temporary and then waits
# to be killed: the kill lands in the middle of the write phase every time.
KILLED_BUILD = """
import sys, time
from policykg.build import serialise
from policykg.cli import main

write = serialise._write_temporary

def half_then_wait(path, data):
    if path.name == sys.argv[2]:
        path.write_bytes(data[: len(data) // 2])
        print(f"paused writing {path}", flush=True)
        time.sleep(600)
    write(path, data)

serialise._write_temporary = half_then_wait
sys.exit(main(["build", "--out", sys.argv[1]]))
"""


def _read_line(stream, timeout: float) -> str:
    """The first line of ``stream``, or '' if none comes within ``timeout`` seconds."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else ""


def test_a_build_killed_while_writing_leaves_the_previous_outputs(good_dist: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    before = hashes(good_dist)
    manifest = read_manifest(good_dist)
    assert {name: entry.sha256 for name, entry in manifest.items()} == \
        {name: digest for name, digest in before.items() if name != MANIFEST}
    build = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(good_dist), f"{TRIG}.tmp"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _read_line(build.stdout, timeout=300)
        assert line == f"paused writing {good_dist / (TRIG + '.tmp')}\n", build.stderr.read() if not line else line
        build.send_signal(signal.SIGKILL)
        assert build.wait(timeout=30) == -signal.SIGKILL
    finally:
        build.kill()
        build.wait()

    # Every output as it was, and as the manifest records it; what the kill left is only *.tmp files.
    leftovers = leftover_temporaries(good_dist)
    assert good_dist / f"{TRIG}.tmp" in leftovers
    assert all(path.name.endswith(".tmp") and path.name not in manifest for path in leftovers)
    assert {name: digest for name, digest in hashes(good_dist).items() if not name.endswith(".tmp")} == before
    assert verify_file(good_dist / TRIG) == manifest[TRIG]  # the server would start on the previous build
    half = (good_dist / f"{TRIG}.tmp").read_bytes()
    assert 0 < len(half) < manifest[TRIG].bytes

    # The next build succeeds, writes a complete build and removes the leftovers.
    assert main(["build", "--out", str(good_dist)]) == 0
    capsys.readouterr()
    assert leftover_temporaries(good_dist) == []
    rebuilt = read_manifest(good_dist)
    assert set(rebuilt) | {MANIFEST} == {path.name for path in good_dist.iterdir()}
    for name, entry in rebuilt.items():
        assert sha256_of(good_dist / name) == entry.sha256 and (good_dist / name).stat().st_size == entry.bytes


def test_write_outputs_removes_what_a_killed_build_left(tmp_path: Path) -> None:
    from policykg.build.serialise import write_outputs

    (tmp_path / "a.txt").write_bytes(b"old a")
    (tmp_path / "a.txt.tmp").write_bytes(b"half of a")
    (tmp_path / "gone.ttl.tmp").write_bytes(b"a file an older build wrote")
    write_outputs({"a.txt": b"new a", MANIFEST: b"{}"}, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", MANIFEST]
    assert (tmp_path / "a.txt").read_bytes() == b"new a"


# --------------------------------------------------------------------------- restart
@dataclass
class Snapshot:
    void: bytes
    item: bytes
    count: bytes
    items16: bytes


def snapshot(base: str) -> Snapshot:
    get = lambda path, **kw: httpx.get(base + path, timeout=30, **kw)  # noqa: E731
    answers = [get("/.well-known/void", headers=TURTLE), get("/id/item/16", headers=TURTLE),
               get("/sparql", params={"query": COUNT}), get("/items/16")]
    assert [answer.status_code for answer in answers] == [200] * 4
    return Snapshot(*(answer.content for answer in answers))


def test_the_server_restarts_cleanly_and_serves_the_last_good_build(good_dist: Path) -> None:
    data = good_dist / TRIG
    env = {"POLICYKG_DATA": str(data)}
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    with running(api_command(port), base + "/", env=env) as first:
        answered = snapshot(base)
        assert b"void:triples" in answered.void and b"pol:PlanItem" in answered.item
        workers = set(descendants(first.pid))
        assert len(workers) >= 3  # the fork server and the /sparql workers (and multiprocessing's resource tracker)
        links = list(own_links(first.pid))
        assert len(links) == 1
    # Stopped with SIGTERM (running() ends it so): uvicorn shuts the app down, then ends with that signal
    # (uvicorn >= 0.29 re-raises it; before, it exited 0).
    assert first.returncode in (0, -signal.SIGTERM)
    errors = first.logged()
    assert "Traceback" not in errors and "ERROR" not in errors, errors
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "worker processes outlived the server"

    assert verify_file(data) == read_manifest(good_dist)[TRIG]  # the file is the manifest's
    with running(api_command(port), base + "/", env=env):  # the same port, the same build
        assert snapshot(base) == answered
        assert not links[0].exists()  # the first server's link (it was killed by its own signal) is cleaned up


# --------------------------------------------------------------------------- the remote endpoint dies mid-run
oxigraph_binary = pytest.mark.skipif(shutil.which("oxigraph") is None, reason="the Oxigraph server binary is not installed")
REMOTE_LIMIT = 5  # POLICYKG_QUERY_TIMEOUT and POLICYKG_NAMED_TIMEOUT of the API under test
STREAM = ["/sparql?query=ASK%20%7B%20%3Chttps%3A%2F%2Fw3id.org%2Fpolicykg%2Fid%2Fitem%2F16%3E%20a%20pol%3APlanItem%20%7D",
          "/queries/item-measures?item_number=16", "/items/16", "/id/item/16", "/populations/couriers/items"]


@dataclass(frozen=True)
class Sent:
    path: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all
    body: str


class Stream:
    """Client threads sending the STREAM paths to the API in turn, each request recorded, until stopped."""

    def __init__(self, base: str, clients: int = 3):
        self.base = base
        self.sent: list[Sent] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(offset,), daemon=True) for offset in range(clients)]

    def __enter__(self) -> Stream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=3 * REMOTE_LIMIT)
        assert not any(thread.is_alive() for thread in self._threads), "a request hung"

    def _run(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, timeout=3 * REMOTE_LIMIT) as client:
            turn = offset
            while not self._stop.is_set():
                path = STREAM[turn % len(STREAM)]
                turn += 1
                started = time.monotonic()
                try:
                    answer = client.get(path, headers=TURTLE if path.startswith("/id/") else None)
                    status, body = answer.status_code, answer.text
                except httpx.HTTPError as error:
                    status, body = 0, repr(error)
                self.sent.append(Sent(path, started, time.monotonic(), status, body))

    def wait_for_each(self, status: int, after: float, timeout: float = 60.0) -> None:
        """Wait until every STREAM path has been answered ``status`` to a request sent after ``after``."""
        deadline = time.monotonic() + timeout
        while {s.path for s in self.sent if s.started > after and s.status == status} != set(STREAM):
            assert time.monotonic() < deadline, f"not every path answered {status} within {timeout:g} s"
            time.sleep(0.1)

    def between(self, start: float, end: float) -> list[Sent]:
        return [sent for sent in self.sent if sent.started >= start and sent.ended <= end]


class KillableOxigraph(Oxigraph):
    """test_remote's Oxigraph server, keeping its process so that a test can SIGKILL it."""

    process: subprocess.Popen | None = None

    def start(self) -> None:
        assert not self.running, "already running"
        stack = ExitStack()
        self.process = stack.enter_context(running(self.command(), self.base + "/", timeout=30))
        self._stack = stack

    def kill(self) -> None:
        """SIGKILL: no goodbye to open connections, no flush; then forget the dead process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.stop()


@oxigraph_binary
def test_the_remote_endpoint_dies_mid_run_and_comes_back(dist_dir: Path, tmp_path: Path) -> None:
    server = KillableOxigraph(tmp_path / "oxigraph", free_port())
    server.start()
    try:
        assert main(["load", "--endpoint", server.endpoint, "--data", str(dist_dir / TRIG), "--timeout", "30"]) == 0
        env = {"POLICYKG_ENDPOINT": server.endpoint, "POLICYKG_QUERY_TIMEOUT": str(REMOTE_LIMIT),
               "POLICYKG_NAMED_TIMEOUT": str(REMOTE_LIMIT)}
        with policykg_server(env) as api, Stream(api) as stream:
            stream.wait_for_each(200, after=0.0)
            server.kill()
            killed = time.monotonic()
            time.sleep(1.0)
            stream.wait_for_each(503, after=killed)
            restarting = time.monotonic()
            server.start()  # the same port, the same location: the data is still there
            ready = time.monotonic()
            stream.wait_for_each(200, after=ready)
        sent = stream.sent
    finally:
        server.stop()

    assert sent, "no request was sent"
    statuses = {sent_.status for sent_ in sent}
    assert statuses <= {200, 503}, [(s.path, s.status, s.body[:300]) for s in sent if s.status not in (200, 503)]
    for failed in (s for s in sent if s.status == 503):
        assert server.endpoint in json.loads(failed.body)["error"], failed
    # No failure waited past the time limit (a refused connection fails at once); no request hung.
    assert max(s.ended - s.started for s in sent if s.status == 503) < REMOTE_LIMIT + 2
    assert max(s.ended - s.started for s in sent) < 6 * REMOTE_LIMIT

    before = [s for s in sent if s.ended < killed - 0.2]
    during = stream.between(killed, restarting)
    after = [s for s in sent if s.started > ready]
    assert before and {s.status for s in before} == {200}
    assert {s.status for s in during} == {503}, [(s.path, s.status) for s in during]
    assert {s.path for s in during} == set(STREAM)
    messages = {json.loads(s.body)["error"] for s in during}
    assert all("cannot be reached" in message for message in messages), messages
    assert {s.status for s in after} == {200}, [(s.path, s.status, s.body[:200]) for s in after if s.status != 200]
    assert {s.path for s in after} == set(STREAM)
