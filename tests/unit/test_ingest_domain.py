"""Line keys: the same transaction always gets the same key, two identical ones do not."""

import uuid
from datetime import date

from nexus.ingest.domain import KEY_CHARS_MAX, LineKeyer, ledger_key
from nexus.ingest.statement import BankLine

ACCOUNT = uuid.UUID("01936f0e-0000-7000-8000-000000001010")


def line(description: str, minor: int, *, reference: str | None = None) -> BankLine:
    return BankLine(
        line_number=2,
        date=date(2026, 11, 5),
        amount_minor=minor,
        currency="EUR",
        description=description,
        reference=reference,
    )


def test_identical_lines_of_one_file_get_their_occurrence_in_the_key() -> None:
    keyer = LineKeyer(account_id=ACCOUNT)
    first, second = keyer.key(line("Coffee Bar", -320)), keyer.key(line("Coffee Bar", -320))
    assert first != second
    assert (first.endswith(":0"), second.endswith(":1")) == (True, True)


def test_the_same_file_read_again_gets_the_same_keys() -> None:
    lines = [line("Coffee Bar", -320), line("coffee  BAR", -320), line("Bookshop", -1850)]
    once, again = LineKeyer(account_id=ACCOUNT), LineKeyer(account_id=ACCOUNT)
    first_read = [once.key(x) for x in lines]
    assert first_read == [again.key(x) for x in lines]
    assert first_read[1].endswith(":1")  # case and spacing do not make another transaction


def test_a_bank_reference_is_the_key_and_another_account_keys_apart() -> None:
    keyer = LineKeyer(account_id=ACCOUNT)
    assert keyer.key(line("x", 1, reference="FITID-9")) == f"import:{ACCOUNT.hex}:ref:FITID-9:0"
    other = LineKeyer(account_id=uuid.uuid4())
    assert other.key(line("x", 1, reference="FITID-9")) != keyer.key(
        line("x", 1, reference="FITID-9")
    )


def test_long_references_become_digests_that_fit_and_stay_distinct() -> None:
    keyer = LineKeyer(account_id=ACCOUNT)
    a = keyer.key(line("x", 1, reference="R" * 300 + "a"))
    b = keyer.key(line("x", 1, reference="R" * 300 + "b"))
    assert a != b
    assert max(len(a), len(b)) <= KEY_CHARS_MAX
    batch = uuid.uuid4()
    assert len(ledger_key(a, batch_id=batch)) <= KEY_CHARS_MAX
    assert ledger_key(a, batch_id=batch) != ledger_key(a, batch_id=uuid.uuid4())
