"""The bookkeeping rules, with literal data and no database."""

import uuid
from datetime import UTC, date, datetime

import pytest

from nexus.core.money import BALANCE_MINOR_MAX
from nexus.ledger import domain
from nexus.ledger.domain import AccountFacts, EntryDraft, PostingDraft

CASH, FOOD, USD_CASH = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
ACCOUNTS = {
    CASH: AccountFacts(id=CASH, code="1010", currency="EUR", is_closed=False, floor_minor=0),
    FOOD: AccountFacts(id=FOOD, code="5020", currency=None, is_closed=False),
    USD_CASH: AccountFacts(id=USD_CASH, code="1011", currency="USD", is_closed=True),
}


def draft(*postings: tuple[uuid.UUID, int, str], day: date = date(2026, 11, 2)) -> EntryDraft:
    return EntryDraft(
        date=day,
        description="x",
        postings=tuple(
            PostingDraft(account, amount, currency) for account, amount, currency in postings
        ),
    )


def test_balanced_entry_passes() -> None:
    domain.check_entry(draft((FOOD, 1000, "EUR"), (CASH, -1000, "EUR")), postings_max=10)


def test_unbalanced_entry_reports_the_imbalance_per_currency() -> None:
    with pytest.raises(domain.EntryUnbalanced) as raised:
        domain.check_entry(
            draft((FOOD, 1000, "EUR"), (CASH, -999, "EUR"), (FOOD, 5, "USD")), postings_max=10
        )
    assert raised.value.details == {"imbalance_minor": {"EUR": 1, "USD": 5}}


def test_cross_currency_entry_balances_in_each_currency() -> None:
    domain.check_entry(
        draft((FOOD, 1000, "EUR"), (CASH, -1000, "EUR"), (FOOD, 1100, "USD"), (CASH, -1100, "USD")),
        postings_max=10,
    )


def test_single_posting_and_zero_amount_are_refused() -> None:
    with pytest.raises(domain.EntryTooFewPostings):
        domain.check_entry(draft((FOOD, 0, "EUR")), postings_max=10)
    with pytest.raises(domain.PostingZeroAmount):
        domain.check_entry(draft((FOOD, 0, "EUR"), (CASH, 0, "EUR")), postings_max=10)
    with pytest.raises(domain.EntryTooFewPostings):
        domain.check_entry(draft(*[(FOOD, 1, "EUR"), (CASH, -1, "EUR")] * 3), postings_max=4)


def test_accounts_must_exist_be_open_and_take_the_currency() -> None:
    with pytest.raises(domain.UnknownAccount):
        domain.check_accounts(
            draft((uuid.UUID(int=9), 1, "EUR"), (CASH, -1, "EUR")).postings, ACCOUNTS
        )
    with pytest.raises(domain.AccountClosed):
        domain.check_accounts(draft((USD_CASH, 1, "USD"), (FOOD, -1, "USD")).postings, ACCOUNTS)
    with pytest.raises(domain.CurrencyMismatch) as raised:
        domain.check_accounts(draft((CASH, 1, "USD"), (FOOD, -1, "USD")).postings, ACCOUNTS)
    assert raised.value.details["line"] == 0
    domain.check_accounts(draft((FOOD, 1, "JPY"), (FOOD, -1, "JPY")).postings, ACCOUNTS)


def test_closed_period_refuses_dates_on_or_before_it() -> None:
    domain.check_period(date(2026, 11, 1), closed_through=date(2026, 10, 31))
    domain.check_period(date(2026, 11, 1), closed_through=None)
    with pytest.raises(domain.PeriodClosed):
        domain.check_period(date(2026, 10, 31), closed_through=date(2026, 10, 31))


def test_reversal_negates_every_posting() -> None:
    original = draft((FOOD, 1234, "EUR"), (CASH, -1234, "EUR")).postings
    assert [p.amount_minor for p in domain.reversal_postings(original)] == [-1234, 1234]
    assert domain.imbalance(original + domain.reversal_postings(original)) == {}


def test_floors_and_overflow() -> None:
    domain.check_floors({(CASH, "EUR"): 0}, ACCOUNTS)
    with pytest.raises(domain.FloorBreach) as raised:
        domain.check_floors({(CASH, "EUR"): -1}, ACCOUNTS)
    assert raised.value.details["balance_after_minor"] == -1
    with pytest.raises(domain.BalanceOverflow):
        domain.check_floors({(FOOD, "EUR"): BALANCE_MINOR_MAX + 1}, ACCOUNTS)
    with pytest.raises(domain.BalanceOverflow):
        domain.check_delta_range({(FOOD, "EUR"): -BALANCE_MINOR_MAX - 1})


def test_posting_deltas_sum_in_all_by_day_and_by_month() -> None:
    entries = [
        draft((FOOD, 100, "EUR"), (CASH, -100, "EUR"), day=date(2026, 1, 31)),
        draft((FOOD, 50, "EUR"), (CASH, -50, "EUR"), day=date(2026, 2, 1)),
        draft((FOOD, 25, "EUR"), (CASH, -25, "EUR"), day=date(2026, 2, 1)),
        draft((FOOD, -30, "EUR"), (CASH, 30, "EUR"), day=date(2026, 2, 2)),
        draft((FOOD, 30, "EUR"), (CASH, -30, "EUR"), day=date(2026, 2, 2)),
    ]
    deltas = domain.posting_deltas(entries)
    assert deltas.balances == {(FOOD, "EUR"): 175, (CASH, "EUR"): -175}
    # 2 February nets to zero: no dated row to add.
    assert deltas.daily == {
        (FOOD, "EUR", date(2026, 1, 31)): 100,
        (CASH, "EUR", date(2026, 1, 31)): -100,
        (FOOD, "EUR", date(2026, 2, 1)): 75,
        (CASH, "EUR", date(2026, 2, 1)): -75,
    }
    assert deltas.monthly == {
        (FOOD, "EUR", date(2026, 1, 1)): 100,
        (CASH, "EUR", date(2026, 1, 1)): -100,
        (FOOD, "EUR", date(2026, 2, 1)): 75,
        (CASH, "EUR", date(2026, 2, 1)): -75,
    }


def test_roll_up_adds_descendants_per_currency() -> None:
    parent, child, grandchild = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)
    parents = {parent: None, child: parent, grandchild: child}
    totals = domain.roll_up({child: {"EUR": 5}, grandchild: {"EUR": 7, "USD": 1}}, parents)
    assert totals == {
        parent: {"EUR": 12, "USD": 1},
        child: {"EUR": 12, "USD": 1},
        grandchild: {"EUR": 7, "USD": 1},
    }


def test_request_hash_ignores_key_order() -> None:
    assert domain.request_hash({"a": 1, "b": [1, 2]}) == domain.request_hash({"b": [1, 2], "a": 1})
    assert domain.request_hash({"a": 1}) != domain.request_hash({"a": 2})


def _facts(**changes: object) -> domain.SealedFacts:
    values: dict[str, object] = {
        "entry_id": uuid.UUID(int=1),
        "org_id": uuid.UUID(int=2),
        "date": date(2026, 1, 1),
        "description": "x",
        "payee": None,
        "reference": None,
        "metadata": {"b": 1, "a": 2},
        "recorded_at": datetime(2026, 1, 1, 12, tzinfo=UTC),
        "reverses_entry_id": None,
        "postings": ((0, CASH, 100, "EUR", None), (1, FOOD, -100, "EUR", None)),
    }
    values.update(changes)
    return domain.SealedFacts(**values)  # type: ignore[arg-type]


def test_entry_hash_is_canonical_and_sensitive_to_every_field() -> None:
    base = domain.entry_hash(_facts())
    assert (
        domain.entry_hash(_facts(recorded_at=datetime(2026, 1, 1, 12)))  # noqa: DTZ001 - naive UTC
        == base
    )
    assert domain.entry_hash(_facts(metadata={"a": 2, "b": 1})) == base
    assert (
        domain.entry_hash(
            _facts(postings=((1, FOOD, -100, "EUR", None), (0, CASH, 100, "EUR", None)))
        )
        == base
    )
    for change in (
        {"description": "y"},
        {"date": date(2026, 1, 2)},
        {"payee": "p"},
        {"postings": ((0, CASH, 101, "EUR", None), (1, FOOD, -101, "EUR", None))},
    ):
        assert domain.entry_hash(_facts(**change)) != base


def test_links_chain_each_hash_onto_the_previous() -> None:
    first = domain.link_hash(previous_link_hash=domain.GENESIS_HASH, entry_hash_hex="a" * 64, seq=1)
    second = domain.link_hash(previous_link_hash=first, entry_hash_hex="b" * 64, seq=2)
    assert second != domain.link_hash(
        previous_link_hash=domain.GENESIS_HASH, entry_hash_hex="b" * 64, seq=2
    )
    assert len(second) == 64
