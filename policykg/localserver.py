"""Start real servers on 127.0.0.1: the policykg API under uvicorn, an Oxigraph server, a hello-world.

Used by the tests that need a live HTTP endpoint and by the benchmarks. Each
server is a subprocess on a free loopback port, waited for until it answers,
and stopped (terminate, then kill) when the block ends. Nothing here talks to
any address but 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (a server's workers, their children …), read from /proc.

    What a stopped server must not leave running, and whose memory a benchmark sums.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    queue = list(children.get(root, []))
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is running (a zombie, exited but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Server(subprocess.Popen):
    """A server process whose stderr is read as it comes into ``log`` (its lines, decoded).

    Read by a thread, not left in the pipe: a server that writes more than the
    pipe holds (the tracebacks of a few hundred failed requests) would block in
    its next write and stop answering.
    """

    def __init__(self, command: Sequence[str], env: dict[str, str], cwd: str | os.PathLike | None = None):
        super().__init__(list(command), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.stderr is not None
        for line in iter(self.stderr.readline, b""):
            self.log.append(line.decode("utf-8", "replace"))

    def logged(self) -> str:
        """Everything written to stderr so far (all of it once the process has ended)."""
        if self.poll() is not None:
            self._reader.join(timeout=5)
        return "".join(self.log)


@contextmanager
def running(command: Sequence[str], ready_url: str, env: dict[str, str] | None = None,
            timeout: float = 60.0, cwd: str | os.PathLike | None = None, stop_grace: float = 10.0) -> Iterator[Server]:
    """Run ``command`` (in ``cwd``) until the block ends; wait until ``ready_url`` answers (any status below 500).

    At the end it is terminated and given ``stop_grace`` seconds to exit before it is killed.
    """
    process = Server(command, {**os.environ, **(env or {})}, cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}: {process.logged()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2.0).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer at {ready_url} within {timeout:g} s")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def uvicorn_command(port: int, *app: str) -> list[str]:
    """An ASGI app under uvicorn on 127.0.0.1:``port`` (``app``: uvicorn's arguments naming it), quietly."""
    return [sys.executable, "-m", "uvicorn", *app, "--host", LOOPBACK, "--port", str(port), "--log-level", "warning"]


def api_command(port: int) -> list[str]:
    """``policykg``'s API under uvicorn on 127.0.0.1:``port``, configured by ``POLICYKG_*`` variables."""
    return uvicorn_command(port, "--factory", "policykg.api.app:app_from_env")


@contextmanager
def policykg_server(env: dict[str, str]) -> Iterator[str]:
    """The API (:func:`api_command`) on a free port until the block ends; yields its base URL."""
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    with running(api_command(port), base + "/", env=env):
        yield base
