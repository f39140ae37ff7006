"""Tables of the ledger's own database.

Entries and postings are append-only (triggers refuse UPDATE and DELETE). Balances are
kept three ways, each maintained in the transaction that posts: the current balance
per account and currency (with its floor, checked by the database), and per-day and
per-month deltas, so a balance as of any date sums at most a few thousand rows
instead of scanning every posting.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nexus.core.db import JSONType, UTCDateTime, UUIDType, new_metadata
from nexus.core.events import outbox_table
from nexus.core.money import BALANCE_MINOR_MAX

metadata = new_metadata()

ledger_orgs = Table(
    "ledger_orgs",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("base_currency", String(16), nullable=False),
    Column("closed_through", Date, nullable=True),
    Column("template", String(32), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

assets = Table(
    "assets",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scale", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("scale >= 0 AND scale <= 12", name="scale_range"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("parent_id", UUIDType, ForeignKey("accounts.id"), nullable=True),
    Column("currency", String(16), nullable=True),  # None: any currency
    Column("floor_minor", BigInteger, nullable=True),
    Column("is_closed", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    UniqueConstraint("org_id", "code"),
    Index("ix_accounts_org_parent", "org_id", "parent_id"),
    CheckConstraint(
        "type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="type_known"
    ),
)

account_balances = Table(
    "account_balances",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("account_id", UUIDType, ForeignKey("accounts.id"), primary_key=True),
    Column("currency", String(16), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
    Column("floor_minor", BigInteger, nullable=True),
    CheckConstraint("floor_minor IS NULL OR balance_minor >= floor_minor", name="floor"),
    CheckConstraint(
        f"balance_minor BETWEEN {-BALANCE_MINOR_MAX} AND {BALANCE_MINOR_MAX}", name="range"
    ),
)

daily_balances = Table(
    "daily_balances",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("account_id", UUIDType, primary_key=True),
    Column("currency", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("delta_minor", BigInteger, nullable=False),
    Index("ix_daily_balances_org_day", "org_id", "day"),
)

monthly_balances = Table(
    "monthly_balances",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("account_id", UUIDType, primary_key=True),
    Column("currency", String(16), primary_key=True),
    Column("month", Date, primary_key=True),  # the first day of the month
    Column("delta_minor", BigInteger, nullable=False),
    Index("ix_monthly_balances_org_month", "org_id", "month"),
)

entries = Table(
    "entries",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("date", Date, nullable=False),
    Column("description", String(500), nullable=False),
    Column("payee", String(200), nullable=True),
    Column("reference", String(200), nullable=True),
    Column("metadata", JSONType, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    # Unique where set (a partial index on PostgreSQL, migration 0003).
    Column("reverses_entry_id", UUIDType, ForeignKey("entries.id"), nullable=True, unique=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("created_by", UUIDType, nullable=True),
    # Unique per org. On PostgreSQL one unique (key, org) index, led by the key for the
    # posting path's lookup (migrations 0002, 0003); SQLite keeps (org, key) and (key).
    UniqueConstraint("org_id", "idempotency_key"),
    Index("ix_entries_org_date_id", "org_id", "date", "id"),
    Index("ix_entries_idempotency_key", "idempotency_key"),
)

postings = Table(
    "postings",
    metadata,
    # Foreign keys on SQLite; on PostgreSQL a statement-level trigger checks each
    # statement's postings as a set: balanced, and their entry and account in their org
    # (migration 0003).
    Column("entry_id", UUIDType, ForeignKey("entries.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("org_id", UUIDType, nullable=False),
    Column("account_id", UUIDType, ForeignKey("accounts.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(16), nullable=False),
    Column("memo", String(500), nullable=True),
    Column("date", Date, nullable=False),  # the entry's, copied for the account index
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_postings_org_account_date", "org_id", "account_id", "date", "entry_id"),
    Index("ix_postings_org_recorded", "org_id", "recorded_at"),
    CheckConstraint("amount_minor <> 0", name="nonzero"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("base", String(16), primary_key=True),
    Column("quote", String(16), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("rate", String(48), nullable=False),  # exact decimal text, never a float
    Column("source", String(100), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
)

chain_pending = Table(
    "chain_pending",
    metadata,
    Column("entry_id", UUIDType, primary_key=True),
    # Hashed when posted, from what was written: a row altered before it is sealed
    # no longer matches this hash, and verification says so.
    Column("entry_hash", String(64), nullable=False),
    Column("org_id", UUIDType, nullable=False, index=True),
)

chain_links = Table(
    "chain_links",
    metadata,
    Column("org_id", UUIDType, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("entry_id", UUIDType, nullable=False, unique=True),
    Column("entry_hash", String(64), nullable=False),
    Column("link_hash", String(64), nullable=False),
    Column("sealed_at", UTCDateTime, nullable=False),
)

outbox = outbox_table(metadata)
