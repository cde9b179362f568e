"""``govtext sql``: a query on a store, read-only, optionally written to CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govtext.errors import GovtextError
from govtext.store.connection import Connection, execute, no_store

if TYPE_CHECKING:
    import pandas as pd


def query_store(path: str | Path, query: str, *, out: str | Path | None = None) -> pd.DataFrame:
    """Run ``query`` on the store at ``path`` through a read-only connection.

    ``out`` (a ``.csv`` or ``.parquet`` path) also writes the result there. A store
    another process is writing gives StoreLockedError; a bad query a GovtextError
    with DuckDB's one-line reason.
    """
    import duckdb

    if not Path(path).exists():
        raise no_store(path)
    suffix = Path(out).suffix.lower() if out is not None else ""
    if out is not None and suffix not in {".csv", ".parquet"}:
        raise GovtextError(
            f"{out}: a result is written as CSV or Parquet, by the file's suffix; "
            "give a file name ending in .csv or .parquet",
            param="out",
        )
    # The connection alone: a read-only query needs none of the tables' methods.
    with Connection(path, read_only=True) as store:
        try:
            frame = store.sql(query)
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GovtextError(f"{path}: query failed: {first}") from None
        if out is not None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            if suffix == ".csv":
                from govtext.cells import safe_frame

                # Excel opens it as UTF-8, and a cell like "=HYPERLINK(…)" stays text.
                safe_frame(frame).to_csv(out, index=False, encoding="utf-8-sig")
            else:
                # DuckDB writes Parquet itself (no pyarrow needed).
                target = str(out).replace("'", "''")
                with store._registered("govtext_result", frame):
                    execute(store.con, f"COPY (SELECT * FROM govtext_result) TO '{target}' (FORMAT PARQUET)")
    return frame
