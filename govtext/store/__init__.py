"""The workspace: one embedded DuckDB file holding what govtext computed.

This package is the only code that talks to DuckDB. Tables (a scholar can query them with
SQL, see ``Store.sql``):

- ``tokens``: the token cache, keyed by (text_hash, settings_hash). Words are ids
  into ``vocab`` (two bytes each), tags joined with spaces, offsets byte-coded (see
  ``Tokens.pack``): one row per document, written and read in bulk.
- ``vocab``: every distinct word once (id, word).
- ``segmenter_settings``: what each settings_hash means (the Segmenter's parameters).
- ``documents``: the documents of a corpus (metadata, provenance, optionally text).
- ``runs``: one row per run (configuration, corpus hash, versions).
- ``govtext_meta``: the schema version.
- ``judgements``: editors' judgements on tags (``govtext serve``), in the stores it writes.

Theme hits (``theme_hits``, ``hit_sets``), corpus snapshots and topic models have
their tables too. The schema grows by migrations: append a list of SQL statements to
``MIGRATIONS`` (``govtext.store.schema``) and every store opened afterwards is brought
up to date, in order, once.

One module per group of tables (``tokens``, ``documents``, ``runs``, ``hits``,
``snapshot_queries``, ``judgements``), the connection in ``connection``; ``Store`` joins them.

>>> with Store(":memory:") as store:
...     store.schema_version() == len(MIGRATIONS)
True
"""

from __future__ import annotations

from govtext.store.connection import StoreLockedError
from govtext.store.export import query_store
from govtext.store.schema import MIGRATIONS
from govtext.store.tokens import Vocabulary
from govtext.store.workspace import Store

__all__ = [
    "MIGRATIONS",
    "Store",
    "StoreLockedError",
    "Vocabulary",
    "query_store",
]
