"""Alembic environment of the auth database: its metadata, run by the shared runner."""

from alembic import context

from nexus.auth.models import metadata
from nexus.core.migrations import run_env

run_env(context, metadata)
