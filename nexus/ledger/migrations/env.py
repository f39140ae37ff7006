"""Alembic environment of the ledger's own database."""

from alembic import context

from nexus.core.migrations import run_env
from nexus.ledger.models import metadata

run_env(context, metadata)
