"""bank line position: each line's place in its file, unique per batch

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Lines were read in chunks by line number, but several lines can share one (an OFX
file written on a single line): a chunk ending inside such a run skipped the rest of
it. The position numbers a batch's lines 1..n in file order, so chunks and pages are
exact ranges.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    # Lines stored before this revision: file order is line number, then id (UUIDv7,
    # made in parsing order).
    op.execute(
        "UPDATE bank_lines SET position = numbered.n FROM ("
        " SELECT id, row_number() OVER (PARTITION BY batch_id ORDER BY line_number, id) AS n"
        " FROM bank_lines) AS numbered WHERE bank_lines.id = numbered.id"
    )
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.alter_column("position", server_default=None)
        batch_op.drop_index("ix_bank_lines_batch")
        batch_op.create_index("ix_bank_lines_batch", ["batch_id", "position"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_lines_batch")
        batch_op.create_index("ix_bank_lines_batch", ["batch_id", "line_number"], unique=False)
        batch_op.drop_column("position")
