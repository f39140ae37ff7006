"""Money: decimal strings in, integer minor units inside, exact strings out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.core.money import (
    AMOUNT_MINOR_MAX,
    AmountOverflow,
    InvalidAmount,
    TooManyDecimals,
    format_amount,
    iso_scale,
    parse_amount,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "scale", "minor"),
    [
        ("12.34", 2, 1234),
        ("-12.34", 2, -1234),
        ("12", 2, 1200),
        ("12.3", 2, 1230),
        ("0.001", 3, 1),
        ("1500", 0, 1500),
        ("12.340", 2, 1234),
        ("0", 2, 0),
        ("-0.50", 2, -50),
    ],
)
def test_parse_amount(text: str, scale: int, minor: int) -> None:
    assert parse_amount(text, scale=scale) == minor


@pytest.mark.parametrize(
    "text", ["", "abc", "1,50", "1e3", "+1", ".5", "1.", "01.5", "--1", " 1", "NaN", "1_000"]
)
def test_parse_amount_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text, scale=2)


def test_parse_amount_refuses_more_decimals_than_the_currency_has() -> None:
    with pytest.raises(TooManyDecimals) as raised:
        parse_amount("1.001", scale=2)
    assert raised.value.details["scale"] == 2
    with pytest.raises(TooManyDecimals):
        parse_amount("1.5", scale=0)


def test_parse_amount_refuses_overflow() -> None:
    assert parse_amount(format_amount(AMOUNT_MINOR_MAX, scale=2), scale=2) == AMOUNT_MINOR_MAX
    with pytest.raises(AmountOverflow):
        parse_amount(format_amount(AMOUNT_MINOR_MAX + 1, scale=2), scale=2)


@pytest.mark.parametrize(
    ("minor", "scale", "text"),
    [
        (1234, 2, "12.34"),
        (-5, 2, "-0.05"),
        (0, 2, "0.00"),
        (7, 0, "7"),
        (1, 3, "0.001"),
        (-100, 0, "-100"),
    ],
)
def test_format_amount(minor: int, scale: int, text: str) -> None:
    assert format_amount(minor, scale=scale) == text


@given(
    st.integers(min_value=-AMOUNT_MINOR_MAX, max_value=AMOUNT_MINOR_MAX),
    st.integers(min_value=0, max_value=8),
)
def test_format_then_parse_round_trips(minor: int, scale: int) -> None:
    assert parse_amount(format_amount(minor, scale=scale), scale=scale) == minor


def test_iso_scales_follow_iso_4217() -> None:
    assert (
        iso_scale("EUR"),
        iso_scale("JPY"),
        iso_scale("KWD"),
        iso_scale("XAU"),
        iso_scale("NOPE"),
    ) == (2, 0, 3, None, None)


def test_parse_rate() -> None:
    assert str(parse_rate("0.9241")) == "0.9241"
    for bad in ("0", "-1", "abc", "inf", "NaN"):
        with pytest.raises(InvalidAmount):
            parse_rate(bad)
