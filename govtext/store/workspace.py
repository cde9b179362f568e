"""``Store``: the workspace object, one class over the tables' modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govtext.store.documents import DocumentTables
from govtext.store.hits import HitTables
from govtext.store.judgements import JudgementTables
from govtext.store.runs import RunTables
from govtext.store.snapshot_queries import SnapshotQueries
from govtext.store.tokens import TokenTables


class Store(TokenTables, DocumentTables, RunTables, HitTables, SnapshotQueries, JudgementTables):
    """An open govtext workspace (a DuckDB file); use it as a context manager.

    ``path=":memory:"`` gives a throw-away store (tests, one-off runs). Only one
    process may write a store at a time; a second one gets StoreLockedError naming
    the file and what to do.

    The methods live with their tables (``govtext.store.tokens``, ``.documents``,
    ``.runs``, ``.hits``, ``.snapshot_queries``, ``.judgements``), the connection, locking and
    transactions in ``govtext.store.connection``.
    """

    def put_results(
        self,
        tokens: Iterable[tuple[str, Any, Any]],
        hits: Iterable[tuple[str, Sequence[Any]]],
        theme_hashes: Mapping[str, str],
    ) -> None:
        """The tokens (``put_tokens``) and hits (``put_hits``) of a batch of documents,
        committed together: a run killed mid-way keeps both or neither."""
        with self.transaction():
            self.put_tokens(tokens)
            self.put_hits(hits, theme_hashes)
