"""Opaque cursors for keyset pagination: the sort key of the last row, base64-encoded."""

import base64
import uuid
from datetime import date

from nexus.core.errors import InvalidInput


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


def _encode(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not valid; start again without it.") from None
    if len(parts) != count:
        raise InvalidCursor("The cursor is not valid; start again without it.")
    return parts


def encode_date_id(day: date, row_id: uuid.UUID) -> str:
    """Encode a (date, id) sort key as an opaque cursor."""
    return _encode(day.isoformat(), str(row_id))


def decode_date_id(cursor: str) -> tuple[date, uuid.UUID]:
    """Decode a cursor made by `encode_date_id`."""
    day, row_id = _decode(cursor, 2)
    try:
        return date.fromisoformat(day), uuid.UUID(row_id)
    except ValueError:
        raise InvalidCursor("The cursor is not valid; start again without it.") from None


def encode_date_id_line(day: date, row_id: uuid.UUID, line: int) -> str:
    """Encode a (date, id, line) sort key, for lists of lines within rows."""
    return _encode(day.isoformat(), str(row_id), str(line))


def decode_date_id_line(cursor: str) -> tuple[date, uuid.UUID, int]:
    """Decode a cursor made by `encode_date_id_line`."""
    day, row_id, line = _decode(cursor, 3)
    try:
        return date.fromisoformat(day), uuid.UUID(row_id), int(line)
    except ValueError:
        raise InvalidCursor("The cursor is not valid; start again without it.") from None
