"""Identifiers: UUIDv7, so ids sort by creation time and index well in B-trees."""

import uuid

import uuid_utils.compat


def new_id() -> uuid.UUID:
    """Return a fresh UUIDv7 as a standard-library UUID."""
    return uuid_utils.compat.uuid7()
