"""Nexus: a self-hosted financial operations platform on a double-entry ledger."""

__version__ = "0.1.0"
