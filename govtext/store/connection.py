"""The connection to a store's DuckDB file: opening (locks, migrations), transactions,
and the two helpers every table's module writes and reads with."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from govtext.errors import GovtextError
from govtext.store.schema import MIGRATIONS

if TYPE_CHECKING:
    import pandas as pd


def columns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Rows as one numpy array per column, for DuckDB to scan like a table: several
    times cheaper to build than a DataFrame, and the store's writes need no pandas.
    Object arrays, so DuckDB infers each column's type (strings, bytes, None) as it
    does for a DataFrame's."""
    import numpy as np

    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        col = np.empty(len(rows), dtype=object)
        col[:] = [r[i] for r in rows]  # slice assignment: bytes and tuples stay items
        out[name] = col
    return out


def execute(con: Any, query: str, params: Sequence[Any] | None = None) -> list[Any]:
    """Execute and drain the result: DuckDB refuses new work while a result is pending."""
    return list(con.execute(query, params or []).fetchall())


def no_store(path: str | Path) -> GovtextError:
    """The error for a store path that holds no store (a typo, or no run made it yet)."""
    return GovtextError(
        f"no store at {path}; a run creates one there (govtext run, or analyze with a store path)",
        param="store",
    )


class StoreLockedError(GovtextError):
    """Another process has the store open for writing."""


class Connection:
    """An open DuckDB file with govtext's schema; ``Store`` adds the tables' methods."""

    def __init__(
        self, path: str | Path = ":memory:", *, read_only: bool = False, memory_limit: str | None = "1GB"
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.memory_limit = memory_limit
        self._con: Any = None
        self._in_transaction = False

    # -- lifecycle -------------------------------------------------------------------

    def open(self) -> Self:
        import duckdb

        if self._con is not None:
            return self
        if self.path != ":memory:":
            if self.read_only and not Path(self.path).exists():
                # checked here: DuckDB says only "IO Error ... database does not exist"
                raise no_store(self.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            config: dict[str, Any] = {"memory_limit": self.memory_limit} if self.memory_limit else {}
            self._con = duckdb.connect(self.path, read_only=self.read_only, config=config)
        except duckdb.IOException as exc:
            msg = str(exc)
            if "lock" in msg.lower():
                pid = re.search(r"PID (\d+)", msg)
                raise StoreLockedError(
                    f"{self.path}: the store is open in another process"
                    + (f" (PID {pid.group(1)})" if pid else "")
                    + "; wait for that run to finish, or give this one another store path"
                ) from exc
            raise GovtextError(f"{self.path}: cannot open the store: {msg}") from exc
        except duckdb.Error as exc:
            raise GovtextError(
                f"{self.path}: not a govtext store or damaged ({exc}); move it aside and run again"
            ) from exc
        if not self.read_only:
            # Checkpoint (fold the write-ahead log into the file) every 128 MB of log, not
            # every 16 MB: frequent checkpoints cost a run about a tenth of its time, and
            # data not yet checkpointed is held in memory, so not only at close either.
            execute(self._con, "SET checkpoint_threshold = '128MB'")
            self._migrate()
        return self

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self) -> Any:
        """The DuckDB connection (for SQL the methods here do not cover)."""
        if self._con is None:
            self.open()
        return self._con

    def _migrate(self) -> None:
        con = self._con
        execute(con, MIGRATIONS[0][0])
        rows = execute(con, "SELECT value FROM govtext_meta WHERE key = 'schema_version'")
        version = int(rows[0][0]) if rows else 0
        for i in range(version, len(MIGRATIONS)):
            execute(con, "BEGIN TRANSACTION")
            for stmt in MIGRATIONS[i]:
                execute(con, stmt)
            execute(
                con,
                "INSERT OR REPLACE INTO govtext_meta VALUES ('schema_version', ?)",
                [str(i + 1)],
            )
            execute(con, "COMMIT")

    def schema_version(self) -> int:
        rows = execute(self.con, "SELECT value FROM govtext_meta WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else 0

    @contextmanager
    def _registered(self, name: str, frame: Any) -> Iterator[None]:
        """A DataFrame (or ``columns``) visible to SQL as ``name`` for the duration (a
        bulk, zero-copy scan)."""
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits together or not at all (and once: a commit
        costs more than a bulk insert). Nested use joins the outer transaction."""
        if self._in_transaction:
            yield
            return
        execute(self.con, "BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            self._forget_unsaved()
            execute(self.con, "ROLLBACK")
            raise
        self._in_transaction = False
        execute(self.con, "COMMIT")

    def _forget_unsaved(self) -> None:
        """Drop what was kept in memory for writes a rollback undid (the token tables
        hold new words there)."""

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame (the scholar's way into the store)."""
        return self.con.execute(query, params or []).df()
