"""line keys by bank line: an undo releases its lines' keys without a scan

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Undoing an import gives its lines' keys back by bank line id; without an index each
chunk of an undo read every key the organisation ever claimed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("line_keys", schema=None) as batch_op:
        batch_op.create_index("ix_line_keys_bank_line", ["bank_line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("line_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_line_keys_bank_line")
