"""Worker processes that run queries and can be ended: a thin layer over :mod:`pebble`.

pebble's ``ProcessPool`` kills the worker whose task outlives its timeout
and starts a replacement, so a runaway query stops using a core at the time
limit rather than running on after the client has been answered. The pool
uses the ``forkserver`` start method: the API process has threads (the
event loop, the thread pool), and forking a threaded process can copy a
held lock into the child. The fork server preloads the worker module, so a
replacement worker starts in milliseconds plus the time to open the store.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessExpired, ProcessPool

from policykg.api import worker
from policykg.errors import QueryError


class QueryTimeout(QueryError):
    """The query ran past the time limit; its worker process was killed (HTTP 503)."""


class WorkerCrashed(QueryError):
    """The worker died (out of memory, a crash); a new one has been started (HTTP 503)."""


_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["policykg.api.worker"])


class QueryPool:
    """``workers`` processes, each holding its own copy of the store."""

    def __init__(self, trig_path: str, workers: int, timeout: float, name: str = "query", nice: int = 0):
        self.name = name
        self.timeout = timeout
        self.workers = workers
        self.trig_path = trig_path
        self.nice = nice
        self._pool = self._start()

    def _start(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers, initializer=worker.open_store, initargs=(self.trig_path, self.nice),
            context=_CONTEXT,
        )

    def call(self, function: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """Run ``function(*args)`` in a worker; raise :class:`QueryTimeout` if it takes longer than the limit."""
        limit = self.timeout if timeout is None else timeout
        if not self._pool.active:  # closed by an earlier shutdown of the app (a test client, a reload): reopen
            self._pool = self._start()
        future = self._pool.schedule(function, args=args, timeout=limit)
        try:
            return future.result()
        except FutureTimeout:
            raise QueryTimeout(
                f"the query ran longer than the {limit:g} s limit and was stopped; "
                "narrow it (a LIMIT, fewer unbound patterns) or run it on your own copy of the data"
            ) from None
        except (ProcessExpired, BrokenProcessPool) as error:
            raise WorkerCrashed(f"the query worker stopped unexpectedly ({error}); try again") from None

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=5)
