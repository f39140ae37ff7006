"""Alembic environment of the ingest service's own database."""

from alembic import context

from nexus.core.migrations import run_env
from nexus.ingest.models import metadata

run_env(context, metadata)
