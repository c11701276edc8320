"""The project's own exception types.

Every error a user can cause (a bad source file, a failed validation, a bad
query) is one of these, with a message that names the file, line or field and
says what to do. The CLI turns them into exit codes: 0 ok, 1 data does not
conform, 2 error (in the manner of pySHACL's CLI).
"""

from __future__ import annotations


class PolicyKGError(Exception):
    """Base class: any failure the user can act on."""

    exit_code = 2


class SourceError(PolicyKGError):
    """A source file is missing, altered, undecodable, truncated or malformed."""

    def __init__(self, file: str, problem: str, line: int | None = None):
        self.file = file
        self.problem = problem
        self.line = line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


class ParseError(SourceError):
    """A source decoded fine but its structure is not what the parser expects."""


class ValidationFailed(PolicyKGError):
    """The graph does not conform to the SHACL shapes or is OWL-inconsistent."""

    exit_code = 1

    def __init__(self, report: str, violations: int):
        self.report = report
        self.violations = violations
        super().__init__(f"{violations} violation(s):\n{report}")


class QueryError(PolicyKGError):
    """A SPARQL query could not be parsed, is refused, or failed to run."""


class OutputError(PolicyKGError):
    """An output could not be written; the previous output is left in place."""
