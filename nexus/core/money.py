"""Money as integers of a currency's minor unit.

An amount is an `int` count of minor units (cents for USD, yen for JPY, fils for KWD)
plus a currency code. The scale (number of decimals) comes from ISO 4217 for real
currencies and from the organisation's own definition for custom assets (shares,
loyalty points, crypto). Decimal strings cross the API; floats never touch money.
"""

import re
from decimal import Decimal, InvalidOperation

import iso4217

from nexus.core.errors import InvalidInput

# Postings are stored as signed 64-bit integers; one posting is held well below the
# limit so that sums of many postings in a balance still fit.
AMOUNT_MINOR_MAX = 10**15 * 100  # a quadrillion major units at two decimals
BALANCE_MINOR_MAX = 2**62
SCALE_MAX = 12  # with 64-bit storage, 18 decimals would leave room for 9 units

_AMOUNT_PATTERN = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?\Z")
_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_.\-]{1,15}$")

# ISO 4217 codes that have no minor-unit exponent (gold, SDR, testing codes) are not
# money a ledger can post in; they are left out.
ISO_SCALES: dict[str, int] = {
    currency.code: currency.exponent
    for currency in iso4217.Currency
    if currency.exponent is not None
}
ISO_NAMES: dict[str, str] = {
    currency.code: currency.currency_name
    for currency in iso4217.Currency
    if currency.exponent is not None
}


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class TooManyDecimals(InvalidInput):
    code = "amount_too_many_decimals"


class AmountOverflow(InvalidInput):
    code = "amount_overflow"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


def iso_scale(code: str) -> int | None:
    """Return the ISO 4217 exponent of `code`, or None when it is not an ISO currency."""
    return ISO_SCALES.get(code)


def is_valid_asset_code(code: str) -> bool:
    """Tell whether `code` may name a custom asset (upper case, 2-16 characters)."""
    return bool(_CODE_PATTERN.match(code))


def parse_amount(text: str, *, scale: int, field: str = "amount") -> int:
    """Parse a decimal string such as "-12.34" into minor units at `scale` decimals."""
    match = _AMOUNT_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidAmount(
            f'{field} must be a decimal string such as "-12.34"', details={"field": field}
        )
    sign, whole, fraction = match.groups()
    fraction = fraction.rstrip("0") if fraction else ""
    if len(fraction) > scale:
        raise TooManyDecimals(
            f"{field} {text} has more than {scale} decimals",
            details={"field": field, "scale": scale},
        )
    minor = int(whole + fraction.ljust(scale, "0"))
    if minor > AMOUNT_MINOR_MAX:
        raise AmountOverflow(f"{field} {text} is too large", details={"field": field})
    return -minor if sign else minor


def format_amount(minor: int, *, scale: int) -> str:
    """Format minor units as a plain decimal string with exactly `scale` decimals."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(scale + 1, "0")
    if scale == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


def parse_rate(text: str, *, field: str = "rate") -> Decimal:
    """Parse a positive exchange rate from a decimal string."""
    try:
        rate = Decimal(text)
    except (InvalidOperation, TypeError):
        raise InvalidAmount(f"{field} must be a decimal string", details={"field": field}) from None
    if not rate.is_finite() or rate <= 0 or len(rate.as_tuple().digits) > 30:
        raise InvalidAmount(f"{field} must be a positive decimal", details={"field": field})
    return rate
