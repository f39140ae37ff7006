"""A demo organisation with two years of household life, so a newcomer sees real numbers.

The transactions are generated from a seeded random source: salary, rent, utilities,
groceries, restaurants, subscriptions, transport, travel, a credit card paid off each
month and a monthly transfer to savings with interest. They are posted through the
public API (register, set up, batch post), exactly as a user's own data would be.
"""

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from nexus.ledger import schemas
from nexus.ledger.client import LedgerClient

DEMO_EMAIL = "demo@nexus.local"
DEMO_ORG = "Demo Household"
DEMO_CURRENCY = "EUR"
BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class DemoTransaction:
    day: date
    description: str
    payee: str | None
    debit_code: str
    credit_code: str
    amount_cents: int


def _cents(rng: random.Random, low: int, high: int) -> int:
    """A random amount between `low` and `high` whole euros, in cents."""
    return rng.randint(low * 100, high * 100)


def _months(start: date, end: date) -> Iterator[date]:
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def household_transactions(*, end: date, years: int = 2, seed: int = 42) -> list[DemoTransaction]:
    """Generate a household's transactions for `years` up to `end`, oldest first."""
    rng = random.Random(seed)
    start = end.replace(year=end.year - years) + timedelta(days=1)
    out = [
        DemoTransaction(start, "Opening balance", None, "1010", "3100", 3_200_00),
        DemoTransaction(start, "Opening balance", None, "1020", "3100", 12_500_00),
    ]

    def add(
        day: date, description: str, payee: str | None, debit: str, credit: str, cents: int
    ) -> None:
        if start <= day <= end and cents > 0:
            out.append(DemoTransaction(day, description, payee, debit, credit, cents))

    grocers = ["Corner Market", "FreshCo", "Biomarkt", "Lidl", "Aldi"]
    restaurants = ["Trattoria Roma", "Sushi Ko", "The Green Fork", "Burger Bros", "Café Central"]
    for month in _months(start, end):
        raise_percent = 100 + 3 * (month.year - start.year)  # a 3% raise each January
        add(
            month.replace(day=25),
            "Salary",
            "Acme GmbH",
            "1010",
            "4010",
            4_200_00 * raise_percent // 100,
        )
        add(month, "Rent", "Hausverwaltung Schmidt", "5010", "1010", 1_350_00)
        add(
            month.replace(day=3),
            "Electricity and gas",
            "Stadtwerke",
            "5040",
            "1010",
            _cents(rng, 85, 160),
        )
        add(month.replace(day=5), "Internet and phone", "Telekom", "5040", "1010", 49_99)
        add(month.replace(day=7), "Netflix", "Netflix", "5110", "2010", 15_99)
        add(month.replace(day=9), "Spotify", "Spotify", "5110", "2010", 10_99)
        add(month.replace(day=2), "Gym membership", "FitClub", "5080", "1010", 39_00)
        add(month.replace(day=26), "Transfer to savings", None, "1020", "1010", 500_00)
        add(month.replace(day=28), "Savings interest", "Bank", "1020", "4020", _cents(rng, 8, 25))
        add(month.replace(day=4), "Public transport pass", "City Transit", "5050", "1010", 86_00)
        if month.month in (1, 4, 7, 10):
            add(month.replace(day=15), "Household insurance", "Allianz", "5070", "1010", 142_50)
        for _ in range(rng.randint(5, 8)):
            day = month + timedelta(days=rng.randint(0, 27))
            add(
                day,
                "Groceries",
                rng.choice(grocers),
                "5020",
                rng.choice(["1010", "2010"]),
                _cents(rng, 18, 140),
            )
        for _ in range(rng.randint(3, 7)):
            day = month + timedelta(days=rng.randint(0, 27))
            add(day, "Dinner", rng.choice(restaurants), "5030", "2010", _cents(rng, 22, 95))
        for _ in range(rng.randint(1, 4)):
            day = month + timedelta(days=rng.randint(0, 27))
            add(
                day,
                "Shopping",
                rng.choice(["Zalando", "Amazon", "IKEA", "MediaMarkt"]),
                "5090",
                "2010",
                _cents(rng, 15, 220),
            )
        if rng.random() < 0.35:
            add(
                month + timedelta(days=rng.randint(0, 27)),
                "Pharmacy",
                "Apotheke",
                "5060",
                "1010",
                _cents(rng, 8, 60),
            )
        if month.month in (3, 8, 12):
            add(
                month.replace(day=12),
                "Holiday trip",
                rng.choice(["Lufthansa", "Booking.com"]),
                "5100",
                "2010",
                _cents(rng, 400, 1400),
            )
        add(
            month.replace(day=20),
            "Cash withdrawal",
            "ATM",
            "1030",
            "1010",
            rng.choice([50_00, 100_00, 150_00]),
        )
        add(
            month.replace(day=21),
            "Market and bakery (cash)",
            None,
            "5020",
            "1030",
            _cents(rng, 30, 90),
        )
        add(month.replace(day=27), "Bank fees", "Bank", "5120", "1010", 4_90)
    out.sort(key=lambda t: t.day)
    _pay_off_card(out, start=start, end=end)
    out.sort(key=lambda t: t.day)
    return out


def _pay_off_card(transactions: list[DemoTransaction], *, start: date, end: date) -> None:
    """Pay each month's credit card spending in full on the 15th of the next month."""
    by_month: dict[date, int] = {}
    for t in transactions:
        if t.credit_code == "2010":
            by_month[t.day.replace(day=1)] = by_month.get(t.day.replace(day=1), 0) + t.amount_cents
    for month, total in by_month.items():
        due = (month + timedelta(days=32)).replace(day=15)
        if start <= due <= end:
            transactions.append(
                DemoTransaction(due, "Credit card payment", "Visa", "2010", "1010", total)
            )


def entries_for(
    transactions: list[DemoTransaction], accounts: dict[str, str]
) -> list[schemas.BatchEntryCreate]:
    """Turn demo transactions into batch entries with stable idempotency keys."""
    return [
        schemas.BatchEntryCreate(
            idempotency_key=f"demo-{number:05d}",
            date=t.day,
            description=t.description,
            payee=t.payee,
            postings=[
                schemas.PostingIn(
                    account_id=accounts[t.debit_code],
                    amount=_decimal(t.amount_cents),
                    currency=DEMO_CURRENCY,
                ),
                schemas.PostingIn(
                    account_id=accounts[t.credit_code],
                    amount=_decimal(-t.amount_cents),
                    currency=DEMO_CURRENCY,
                ),
            ],
        )
        for number, t in enumerate(transactions)
    ]


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


async def seed(http: httpx.AsyncClient, *, today: date) -> tuple[str, int] | None:
    """Create the demo user and organisation with its history; None if it already exists."""
    password = secrets.token_urlsafe(15)  # random, and free of the email (a weak-password rule)
    registered = await http.post(
        "/api/v1/auth/register",
        json={"email": DEMO_EMAIL, "password": password, "org_name": DEMO_ORG, "name": "Demo User"},
    )
    if registered.status_code == 409:
        return None
    registered.raise_for_status()
    token = await http.post(
        "/api/v1/auth/token", data={"username": DEMO_EMAIL, "password": password}
    )
    token.raise_for_status()
    ledger = LedgerClient(http, access_token=token.json()["access_token"])
    chart = await ledger.setup(template="household", base_currency=DEMO_CURRENCY)
    accounts = {account.code: str(account.id) for account in chart.accounts}
    entries = entries_for(household_transactions(end=today), accounts)
    for start in range(0, len(entries), BATCH_SIZE):
        await ledger.post_batch(entries[start : start + BATCH_SIZE])
    return password, len(entries)
