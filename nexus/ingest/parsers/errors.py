"""Why a statement file could not be read, in words a user can act on.

Every error names where in the file the problem is (`line`, 1-based, or None when the
problem is the file as a whole) and which format the file was read as, both in the
message ("line 17: amount 'abc' is not a number") and in `details` for the API's
error body.
"""

from typing import Any

from nexus.core.errors import InvalidInput
from nexus.ingest.statement import StatementFormat


def _details(
    line: int | None, statement_format: StatementFormat | None, extra: dict[str, Any] | None
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "line": line,
        "format": statement_format.value if statement_format is not None else None,
    }
    details.update(extra or {})
    return details


class StatementParseError(InvalidInput):
    """The file is of a known format but its content cannot be turned into bank lines."""

    code = "statement_unreadable"

    def __init__(
        self,
        problem: str,
        *,
        line: int | None,
        statement_format: StatementFormat | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        message = f"line {line}: {problem}" if line is not None else problem
        super().__init__(message, details=_details(line, statement_format, details))
        self.line = line
        self.problem = problem
        self.statement_format = statement_format


class UnknownFormat(InvalidInput):
    """The file is none of the statement formats Nexus reads."""

    code = "statement_format_unknown"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=_details(None, None, details))


class UnknownEncoding(InvalidInput):
    """The file's bytes are not text in any encoding Nexus can recognise."""

    code = "statement_encoding_unknown"

    def __init__(
        self, message: str, *, line: int | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=_details(line, None, details))


class InvalidCsvProfile(InvalidInput):
    """A CSV profile that cannot describe any file (no amount column, bad separator)."""

    code = "csv_profile_invalid"
