"""entries by idempotency key alone; the unused recorded-time index goes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Posting looks up a batch's keys with one probe per key. Through the unique (org, key)
index that probe also matched the org's other indexes, and a planner that guesses an
org small (no statistics yet, or statistics older than the org's first big import)
chose one of those and read every entry of the org per key. An index led by the key
leaves it nothing else to choose. Nothing reads entries by recorded time, so that
index only cost writes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_idempotency_key", ["idempotency_key"], unique=False)
        batch_op.drop_index("ix_entries_org_recorded")


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_org_recorded", ["org_id", "recorded_at"], unique=False)
        batch_op.drop_index("ix_entries_idempotency_key")
