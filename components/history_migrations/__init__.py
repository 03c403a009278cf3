"""The history tables' schema, versioned with Alembic: ``env.py`` and one file per version in
``versions/``. components/history_store.py runs ``upgrade head`` when a server starts."""
