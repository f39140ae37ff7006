"""The ledger batch rows a commit builds from bank lines."""

import pytest

from nexus.core.money import format_amount
from nexus.ingest.service import _negated


@pytest.mark.parametrize("minor", [0, 1, -1, 5, -5, 1234, -1234, 10**17, -(10**17)])
@pytest.mark.parametrize("scale", [0, 2, 3])
def test_the_counter_posting_is_the_bank_posting_negated(minor: int, scale: int) -> None:
    assert _negated(format_amount(minor, scale=scale)) == format_amount(-minor, scale=scale)
