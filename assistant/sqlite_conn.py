"""One SQLite connection per thread, for the stores that share a file between threads and worker processes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


def per_thread_connection(local: threading.local, path: Path) -> sqlite3.Connection:
    """A shared connection would mix threads' transactions; WAL lets readers go on while one writer writes."""
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        local.conn = conn
    return conn
