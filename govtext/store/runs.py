"""Runs and what they fitted: one row per run, its topic assignments, and fitted
topic models and comparison tables cached under the hash of their inputs."""

from __future__ import annotations

import json
from typing import Any

from govtext.store.connection import Connection, execute

# Units per block of topic assignments written at once (× K rows).
ASSIGNMENT_BLOCK = 20_000


class RunTables(Connection):
    """The store's methods on ``runs``, ``topic_assignments``, ``topic_models`` and ``cached_tables``."""

    def put_run(
        self,
        run_id: str,
        *,
        command: str = "",
        config: dict[str, Any] | None = None,
        corpus_hash: str = "",
        versions: dict[str, str] | None = None,
        status: str = "running",
    ) -> None:
        execute(
            self.con,
            "INSERT OR REPLACE INTO runs (run_id, command, config, corpus_hash, versions, status) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                command,
                json.dumps(config or {}, ensure_ascii=False, default=str),
                corpus_hash,
                json.dumps(versions or {}),
                status,
            ],
        )

    def finish_run(
        self,
        run_id: str,
        status: str = "done",
        *,
        reused: dict[str, Any] | None = None,
        corpus_hash: str | None = None,
    ) -> None:
        execute(
            self.con,
            "UPDATE runs SET finished = current_timestamp, status = ?, reused = ?, "
            "corpus_hash = coalesce(?, corpus_hash) WHERE run_id = ?",
            [status, json.dumps(reused or {}), corpus_hash, run_id],
        )

    def put_topic_assignments(self, run_id: str, model: Any) -> int:
        """Record the unit × topic shares of a fitted topic model (``doc_topics_``) as
        ``run_id``'s; returns the number of (unit, topic) rows the run now has.

        A model that carries the hash of its inputs (``inputs_key_``, set when it is
        fitted or loaded by the topic workflow) has its shares written once: a later run
        with the same model only points at them. Any other model's shares are kept under
        a key of the run, replaced when the run records them again. Written
        ``ASSIGNMENT_BLOCK`` units at a time, from the model's arrays: the whole long
        table with its text columns (3.3 million rows on 100 MB) and DuckDB's scan of it
        added about half a gigabyte at once."""
        n_units, k = model.doc_topic_.shape
        key = getattr(model, "inputs_key_", None) or f"run:{run_id}"
        with self.transaction():
            execute(self.con, "DELETE FROM run_topics WHERE run_id = ?", [run_id])
            execute(self.con, "INSERT INTO run_topics (run_id, model_key) VALUES (?, ?)", [run_id, key])
            have = execute(self.con, "SELECT n_rows FROM topic_share_sets WHERE model_key = ?", [key])
            if have and not key.startswith("run:") and have[0][0] == n_units * k:
                return n_units * k
            for table in ("topic_shares", "topic_labels", "topic_share_sets"):
                execute(self.con, f"DELETE FROM {table} WHERE model_key = ?", [key])
            self._write_shares(key, model)
            execute(
                self.con, "INSERT INTO topic_share_sets (model_key, n_rows) VALUES (?, ?)", [key, n_units * k]
            )
        return n_units * k

    def _write_shares(self, key: str, model: Any) -> None:
        import numpy as np

        shares = model.doc_topic_
        n_units, k = shares.shape
        unit_ids = np.asarray([str(u) for u in model.unit_ids_], dtype=object)
        doc_ids = np.asarray([str(d) for d in model.doc_ids_], dtype=object)
        labels = {
            "topic": np.arange(k, dtype=np.int32),
            "label": np.asarray([str(t) for t in model.topic_labels_], dtype=object),
        }
        with self._registered("govtext_new_labels", labels):
            execute(
                self.con, "INSERT INTO topic_labels SELECT ?, topic, label FROM govtext_new_labels", [key]
            )
        # Numpy columns, the model's key a parameter rather than a column: a DataFrame with
        # the key on each of the 3 million rows (100 MB) left the run ~0.3 GB larger after
        # the transaction (DuckDB's copy of the rows; its allocator keeps the pages), these
        # columns ~0.1 GB; and they cost half the CPU (issue 20, bench/RESULTS.md).
        topics = np.arange(k, dtype=np.int32)
        for a in range(0, n_units, ASSIGNMENT_BLOCK):
            b = min(a + ASSIGNMENT_BLOCK, n_units)
            block = {
                "unit_id": np.repeat(unit_ids[a:b], k),
                "doc_id": np.repeat(doc_ids[a:b], k),
                "topic": np.tile(topics, b - a),
                "share": shares[a:b].reshape(-1),
            }
            with self._registered("govtext_new_topics", block):
                execute(
                    self.con,
                    "INSERT INTO topic_shares SELECT ?, unit_id, doc_id, topic, share FROM govtext_new_topics",
                    [key],
                )

    # -- fitted topic models ---------------------------------------------------------------

    def get_topic_model(self, key: str) -> bytes | None:
        """The pickled topic model fitted from the inputs hashed as ``key``, if stored."""
        rows = execute(self.con, "SELECT model FROM topic_models WHERE key = ?", [key])
        return bytes(rows[0][0]) if rows else None

    def put_topic_model(self, key: str, blob: bytes) -> None:
        """Keep a pickled topic model under the hash of its inputs (the newest per key)."""
        with self.transaction():
            execute(self.con, "DELETE FROM topic_models WHERE key = ?", [key])
            execute(self.con, "INSERT INTO topic_models (key, model) VALUES (?, ?)", [key, blob])

    def get_cached_tables(self, key: str) -> bytes | None:
        """The pickled tables made from the inputs hashed as ``key``, if stored."""
        rows = execute(self.con, "SELECT tables FROM cached_tables WHERE key = ?", [key])
        return bytes(rows[0][0]) if rows else None

    def put_cached_tables(self, key: str, blob: bytes) -> None:
        """Keep pickled tables under the hash of their inputs; only the newest set is kept
        (a corpus that changes every run must not grow the store)."""
        with self.transaction():
            execute(self.con, "DELETE FROM cached_tables")
            execute(self.con, "INSERT INTO cached_tables (key, tables) VALUES (?, ?)", [key, blob])
