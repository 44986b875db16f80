"""Open the store the settings name: versioned folders (the default) or PostgreSQL with pgvector."""

from __future__ import annotations

from .config import Settings
from .store import Store


def open_store(settings: Settings) -> Store:
    """The configured store (LIBYA_QA_STORE); PostgreSQL's client is imported only when it is chosen."""
    if settings.store == "postgres":
        from .pgstore import PostgresStore

        return PostgresStore.from_settings(settings)
    from .filestore import FileStore

    return FileStore.from_settings(settings)
