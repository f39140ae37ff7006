"""Tables of the ingest service's own database.

An import batch is one uploaded file for one ledger account. Its bank lines are kept
here as records of their own (reference, raw text, fingerprint), whatever became of
them in the ledger. `line_keys` holds the fingerprint of every line that was ever
committed for an account, so an overlapping file finds its duplicates by primary key
and two racing commits of the same file cannot both post a line. A reconciliation run
proposes matches between bank lines and ledger entries; `reconciled_entries` names
each ledger entry that a match has claimed, so no entry is reconciled twice.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from nexus.core.db import JSONType, UTCDateTime, UUIDType, new_metadata
from nexus.core.events import outbox_table

metadata = new_metadata()

csv_profiles = Table(
    "csv_profiles",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("account_id", UUIDType, nullable=False),  # the ledger's bank account
    Column("name", String(200), nullable=False),
    Column("header_signature", String(64), nullable=True),  # hash of the header row
    Column("profile", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_csv_profiles_org_account", "org_id", "account_id"),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("account_id", UUIDType, nullable=False),
    Column("counter_account_id", UUIDType, nullable=True),
    Column("currency", String(16), nullable=False),
    Column("filename", String(300), nullable=True),
    Column("format", String(16), nullable=True),
    Column("file_sha256", String(64), nullable=False),
    Column("file_bytes", BigInteger, nullable=False),
    Column("profile", JSONType, nullable=True),  # the CSV profile used
    # parsing, previewed, committing, committed, undoing, undone, failed
    Column("status", String(16), nullable=False),
    Column("lines_total", Integer, nullable=False, default=0),
    Column("lines_duplicate", Integer, nullable=False, default=0),
    Column("progress_done", Integer, nullable=False, default=0),
    Column("progress_total", Integer, nullable=False, default=0),
    Column("opening_date", Date, nullable=True),
    Column("opening_minor", BigInteger, nullable=True),
    Column("closing_date", Date, nullable=True),
    Column("closing_minor", BigInteger, nullable=True),
    Column("warnings", JSONType, nullable=False),
    Column("error", JSONType, nullable=True),
    Column("result", JSONType, nullable=True),  # what the commit did, counts and checks
    Column("reconciliation_run_id", UUIDType, nullable=True),
    Column("created_by", UUIDType, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),  # a working job touches it often
    Column("committed_at", UTCDateTime, nullable=True),
    Column("undone_at", UTCDateTime, nullable=True),
    Index("ix_import_batches_org_created", "org_id", "created_at"),
    Index("ix_import_batches_status_updated", "status", "updated_at"),
)

bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("account_id", UUIDType, nullable=False),
    Column("batch_id", UUIDType, ForeignKey("import_batches.id"), nullable=False),
    Column("line_number", Integer, nullable=False),  # where the line starts in the file
    # 1..n in file order within the batch: several lines may share a line number.
    Column("position", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("value_date", Date, nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(16), nullable=False),
    Column("description", String(1000), nullable=False),
    Column("payee", String(300), nullable=True),
    Column("reference", String(200), nullable=True),
    Column("counterparty_account", String(100), nullable=True),
    Column("raw", Text, nullable=False),
    Column("line_key", String(200), nullable=False),  # also the ledger idempotency key
    # new, duplicate, matched, proposed, posted, unmatched, undone
    Column("status", String(16), nullable=False),
    Column("entry_id", UUIDType, nullable=True),  # the ledger entry this line posted
    Column("match_id", UUIDType, nullable=True),  # the match that reconciled it
    Index("ix_bank_lines_batch", "batch_id", "position", unique=True),
    Index("ix_bank_lines_org_account_date", "org_id", "account_id", "date"),
)

line_keys = Table(
    "line_keys",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("account_id", UUIDType, primary_key=True),
    Column("line_key", String(200), primary_key=True),
    Column("bank_line_id", UUIDType, nullable=False),
    Index("ix_line_keys_bank_line", "bank_line_id"),  # an undo releases keys by line
)

reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("account_id", UUIDType, nullable=False),
    Column("date_from", Date, nullable=True),
    Column("date_to", Date, nullable=True),
    Column("batch_id", UUIDType, nullable=True),  # the import that started it, if any
    Column("settings", JSONType, nullable=False),
    Column("counts", JSONType, nullable=False),
    Column("created_by", UUIDType, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_reconciliation_runs_org_created", "org_id", "created_at"),
)

matches = Table(
    "matches",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("run_id", UUIDType, ForeignKey("reconciliation_runs.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("confidence", Float, nullable=False),  # a score in [0, 1], never money
    Column("reasons", JSONType, nullable=False),
    Column("bank_line_ids", JSONType, nullable=False),
    Column("entry_ids", JSONType, nullable=False),
    # auto_accepted, proposed, accepted, rejected
    Column("status", String(16), nullable=False),
    Column("decided_by", UUIDType, nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_matches_run", "run_id"),
)

reconciled_entries = Table(
    "reconciled_entries",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("entry_id", UUIDType, primary_key=True),
    Column("account_id", UUIDType, nullable=False),
    Column("match_id", UUIDType, nullable=True),  # None: the line posted this entry itself
    Column("bank_line_id", UUIDType, nullable=False),
)

outbox = outbox_table(metadata)
