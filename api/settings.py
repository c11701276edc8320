"""The server's settings, in one place: defaults, overridable by ``POLICYKG_*`` environment variables.

``policykg serve`` options override both. pydantic-settings validates the
environment, so ``POLICYKG_QUERY_TIMEOUT=ten`` stops the start with a message
naming the variable instead of failing on the first request.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYKG_", frozen=True)

    data: Path = Field(Path("dist/policykg.trig"), description="the built TriG file the embedded store loads")
    endpoint: str | None = Field(None, description="a remote SPARQL 1.1 query endpoint to use instead of the embedded store")
    query_timeout: float = Field(10.0, gt=0, le=3600, description="seconds a /sparql query may run before it is stopped")
    named_timeout: float = Field(30.0, gt=0, le=3600, description="seconds a named query may take on a remote endpoint")
    max_rows: int = Field(100_000, ge=1, description="rows (or triples) a /sparql answer carries at most")
    workers: int = Field(2, ge=1, le=64, description="worker processes for /sparql queries")
    worker_nice: int = Field(10, ge=0, le=19, description="the /sparql workers' niceness: a user's query yields the CPU "
                                                         "to the API's own routes (0: the same priority)")
    answer_cache: int = Field(2048, ge=0, le=1_000_000, description="GET answers kept in memory (embedded store only; 0: none)")
    inline_budget: float = Field(0.01, ge=0, le=1, description="seconds: a JSON route whose recent calls took less "
                                 "answers on the event loop instead of a worker thread (embedded store only; 0: never)")
    base_url: str = Field("", description="the public URL prefix the server is reached at (for links), '' for relative")
