"""Import rules as pure functions: line keys, duplicates, what a commit does.

A bank line's key says which real transaction it is, so importing the same or an
overlapping file twice never posts a line twice. Where the bank gives each line an
id of its own (OFX FITID, a camt reference, an MT940 or CSV reference) the key is
that id. Where it does not, the key is a fingerprint of date, amount and normalised
text plus the line's occurrence among identical lines of the same file (two coffees
of 3.20 on one day at one shop are two lines, not one). The key also serves as the
ledger's idempotency key of the entry the line posts, so the ledger refuses a
second posting even if this service's own check were bypassed.
"""

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from nexus.core.errors import Conflict, InvalidInput, NotFound
from nexus.ingest.statement import BankLine

LINE_KEY_PREFIX = "import"
TEXT_FINGERPRINT_CHARS_MAX = 120
KEY_CHARS_MAX = 200  # the ledger's idempotency keys and `line_keys` hold this many


class BatchStatus(StrEnum):
    PARSING = "parsing"
    PREVIEWED = "previewed"
    COMMITTING = "committing"
    COMMITTED = "committed"
    UNDOING = "undoing"
    UNDONE = "undone"
    FAILED = "failed"


class LineStatus(StrEnum):
    NEW = "new"  # parsed, not committed yet
    DUPLICATE = "duplicate"  # an earlier import already holds this transaction
    MATCHED = "matched"  # reconciled with an existing ledger entry
    PROPOSED = "proposed"  # an uncertain match waits for a person
    POSTED = "posted"  # became a new ledger entry
    UNMATCHED = "unmatched"  # a proposal was rejected; nothing posted yet
    UNDONE = "undone"  # its batch was undone


class MatchStatus(StrEnum):
    AUTO_ACCEPTED = "auto_accepted"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ImportNotFound(NotFound):
    code = "import_not_found"


class ImportStateConflict(Conflict):
    code = "import_state_conflict"


class RunNotFound(NotFound):
    code = "reconciliation_run_not_found"


class MatchNotFound(NotFound):
    code = "match_not_found"


class MatchStateConflict(Conflict):
    code = "match_state_conflict"


class AccountNotUsable(InvalidInput):
    code = "import_account_invalid"


class FileTooLarge(InvalidInput):
    code = "import_file_too_large"
    status = 413


class TooManyLines(InvalidInput):
    code = "import_too_many_lines"
    status = 413


class CurrencyMismatch(InvalidInput):
    code = "import_currency_mismatch"


class InvalidManualMatch(InvalidInput):
    code = "invalid_manual_match"


_SPACES = re.compile(r"\s+")


def normalised_text(text: str) -> str:
    """Lower-case, single-spaced text, as fingerprints compare it."""
    return _SPACES.sub(" ", text.strip().lower())[:TEXT_FINGERPRINT_CHARS_MAX]


def _fingerprint(line: BankLine) -> str:
    text = normalised_text(f"{line.payee or ''} {line.description}")
    basis = f"{line.date.isoformat()}|{line.amount_minor}|{line.currency}|{text}"
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


class LineKeyer:
    """Gives each line of one file its key, counting occurrences of identical lines.

    A reference the bank repeats (some exports reuse one reference for a day's card
    payments) is made unique by the same occurrence count as fingerprints. Keys are
    handed out in file order, so a file read in chunks gets the keys it would get whole.
    """

    def __init__(self, *, account_id: uuid.UUID) -> None:
        self._account = account_id.hex
        # Counted by a 64-bit digest of the basis: a million-line file keeps a million
        # small ints here, not a million strings.
        self._seen: dict[int, int] = {}

    def key(self, line: BankLine) -> str:
        """Return the key of the next line of the file."""
        basis = f"ref:{line.reference}" if line.reference else f"fp:{_fingerprint(line)}"
        digest = int.from_bytes(hashlib.blake2b(basis.encode(), digest_size=8).digest())
        occurrence = self._seen.get(digest, 0)
        self._seen[digest] = occurrence + 1
        return _bounded(f"{LINE_KEY_PREFIX}:{self._account}:{basis}:{occurrence}", KEY_CHARS_MAX)


def ledger_key(line_key: str, *, batch_id: uuid.UUID) -> str:
    """Return the ledger idempotency key of the entry a line posts in one batch.

    Within a batch a retried or resumed commit replays the same entries. Across
    batches, `line_keys` (one claim per transaction and account) keeps a re-import
    from posting a line twice, and an undone batch gives its claims back, so a later
    import of the same file posts afresh instead of replaying reversed entries.
    """
    return f"{_bounded(line_key, KEY_CHARS_MAX - 33)}@{batch_id.hex}"


def _bounded(key: str, length: int) -> str:
    """`key` itself when it fits, else a digest of it: two long keys never collide."""
    if len(key) <= length:
        return key
    return f"{LINE_KEY_PREFIX}:h:{hashlib.sha256(key.encode()).hexdigest()}"


def header_signature(header: Sequence[str]) -> str:
    """Identify a CSV header, so a saved profile finds the next file of the same bank."""
    names = "\x1f".join(normalised_text(name) for name in header)
    return hashlib.sha256(names.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StatementCheck:
    """The bank's closing balance beside the ledger's, on the statement's date."""

    date: date
    currency: str
    statement_minor: int
    ledger_minor: int

    @property
    def difference_minor(self) -> int:
        """Ledger minus statement: zero when the books agree with the bank."""
        return self.ledger_minor - self.statement_minor


@dataclass(frozen=True, slots=True)
class ReconciliationTotals:
    """What a reconciliation report adds up: matched and unmatched on each side."""

    matched_lines: int
    matched_entries: int
    proposed: int
    unmatched_lines: int
    unmatched_entries: int
    unmatched_lines_minor: int
    unmatched_entries_minor: int


def reconciliation_totals(
    *,
    line_amounts: Mapping[str, int],
    entry_amounts: Mapping[str, int],
    accepted: Iterable[tuple[Sequence[str], Sequence[str]]],
    proposed_count: int,
) -> ReconciliationTotals:
    """Count what accepted matches cover and sum what is left on each side."""
    matched_lines: set[str] = set()
    matched_entries: set[str] = set()
    for line_ids, entry_ids in accepted:
        matched_lines.update(line_ids)
        matched_entries.update(entry_ids)
    open_lines = [amount for key, amount in line_amounts.items() if key not in matched_lines]
    open_entries = [amount for key, amount in entry_amounts.items() if key not in matched_entries]
    return ReconciliationTotals(
        matched_lines=len(matched_lines & set(line_amounts)),
        matched_entries=len(matched_entries & set(entry_amounts)),
        proposed=proposed_count,
        unmatched_lines=len(open_lines),
        unmatched_entries=len(open_entries),
        unmatched_lines_minor=sum(open_lines),
        unmatched_entries_minor=sum(open_entries),
    )


def check_manual_match(
    *,
    line_amounts: Sequence[int],
    entry_amounts: Sequence[int],
    line_currencies: Iterable[str],
    entry_currencies: Iterable[str],
) -> None:
    """Refuse a hand-made match whose two sides are not the same money."""
    if not line_amounts or not entry_amounts:
        raise InvalidManualMatch("A match needs at least one bank line and one entry.")
    currencies = set(line_currencies) | set(entry_currencies)
    if len(currencies) != 1:
        raise InvalidManualMatch(
            "Bank lines and entries of a match must share one currency.",
            details={"currencies": sorted(currencies)},
        )
    if sum(line_amounts) != sum(entry_amounts):
        raise InvalidManualMatch(
            "The bank lines and the entries of a match must add up to the same amount.",
            details={
                "bank_lines_minor": sum(line_amounts),
                "entries_minor": sum(entry_amounts),
            },
        )
