"""Alembic's environment for the history tables: runs on the connection the caller gives
(components/history_store.migrate), with its own version table beside Rasa's tables."""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "history_schema_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE,
                  transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
