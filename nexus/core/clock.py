"""The one source of 'now': timezone-aware UTC, so no naive timestamp enters the books."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)
