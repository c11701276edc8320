"""The tests' live servers: see :mod:`policykg.localserver` (shared with the benchmarks)."""

from policykg.localserver import LOOPBACK, api_command, free_port, policykg_server, running

__all__ = ["LOOPBACK", "api_command", "free_port", "policykg_server", "running"]
