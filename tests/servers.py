"""The tests' live servers: see :mod:`policykg.localserver` (shared with the benchmarks)."""

from policykg.localserver import LOOPBACK, alive, api_command, descendants, free_port, policykg_server, running

__all__ = ["LOOPBACK", "alive", "api_command", "descendants", "free_port", "policykg_server", "running"]
