"""An embedded PostgreSQL with pgvector (the `pgserver` wheel), for machines without one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any


class EmbeddedPostgres:
    """Starts (or reuses) a server whose data lives in `data_dir`; stops it on close().

    Run as root, pgserver runs the server as a system user `pgserver` and opens
    the permissions of the data folder's parents: keep `data_dir` in a folder of its own.
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir = data_dir.resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # pgserver keeps its lock file in the user runtime folder; many CI shells have none set.
        # One folder for all of this user's stacks: inside a throwaway stack's folder, pgserver's
        # exit handler made it again after that folder was removed (a leftover per bench run).
        run_dir = Path(tempfile.gettempdir()) / f"facerec-run-{os.getuid()}"
        run_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
        import pgserver

        self._server: Any = pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        self.data_dir = data_dir

    def ensure_database(self, name: str) -> str:
        """URL of database `name`, created if missing."""
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
        url: str = self._server.get_uri(name)
        return url

    def restart(self) -> None:
        """Fast restart (open connections are cut), as a failover or a crash-restart would."""
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=self.data_dir, user=self._server.system_user, timeout=60)

    def close(self) -> None:
        self._server.cleanup()
        # pgserver stops the postmaster it started; after restart() that one is gone and the
        # new one would outlive us (and every test run would leave a server behind).
        if (self.data_dir / "postmaster.pid").exists():
            from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

            with contextlib.suppress(Exception):
                pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.data_dir, user=self._server.system_user, timeout=60)
