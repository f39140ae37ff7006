"""Opaque cursors for keyset pagination: the sort key of the last row, base64-encoded."""

import base64
import uuid
from datetime import date

from nexus.core.errors import InvalidInput


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


def encode_date_id(day: date, row_id: uuid.UUID) -> str:
    """Encode a (date, id) sort key as an opaque cursor."""
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_date_id(cursor: str) -> tuple[date, uuid.UUID]:
    """Decode a cursor made by `encode_date_id`."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, _, row_id = text.partition("|")
        return date.fromisoformat(day), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not valid; start again without it.") from None
