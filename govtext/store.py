"""The workspace: one embedded DuckDB file holding what govtext computed.

This is the only module that talks to DuckDB. Tables (a scholar can query them with
SQL, see ``Store.sql``):

- ``tokens``: the token cache, keyed by (text_hash, settings_hash). Words are ids
  into ``vocab`` (two bytes each), tags joined with spaces, offsets byte-coded (see
  ``Tokens.pack``): one row per document, written and read in bulk.
- ``vocab``: every distinct word once (id, word).
- ``segmenter_settings``: what each settings_hash means (the Segmenter's parameters).
- ``documents``: the documents of a corpus (metadata, provenance, optionally text).
- ``runs``: one row per run (configuration, corpus hash, versions).
- ``govtext_meta``: the schema version.

The schema grows by migrations: append a list of SQL statements to ``MIGRATIONS``
(theme hits, topic assignments …) and every store opened afterwards is brought up to
date, in order, once.

>>> with Store(":memory:") as store:
...     store.schema_version() == len(MIGRATIONS)
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import GovtextError
from govtext.themes.scores import HIT_FIELDS

if TYPE_CHECKING:
    import pandas as pd

    from govtext.documents import Corpus, Document, FileRecord
    from govtext.segment import Segmenter
    from govtext.tokens import Tokens

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS govtext_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS segmenter_settings (
            settings_hash VARCHAR PRIMARY KEY,
            description JSON,
            created TIMESTAMP DEFAULT current_timestamp)""",
        """CREATE TABLE IF NOT EXISTS tokens (
            text_hash VARCHAR NOT NULL,
            settings_hash VARCHAR NOT NULL,
            n_tokens INTEGER NOT NULL,
            word_ids BLOB NOT NULL,
            spans BLOB NOT NULL,
            pos VARCHAR,
            n_sentences INTEGER NOT NULL,
            sentences BLOB NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (text_hash, settings_hash))""",
        """CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, word VARCHAR NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS documents (
            doc_id VARCHAR PRIMARY KEY,
            text_hash VARCHAR NOT NULL,
            title VARCHAR, authors VARCHAR, source VARCHAR, date VARCHAR, year VARCHAR,
            meta JSON,
            path VARCHAR, format VARCHAR, encoding VARCHAR, position INTEGER,
            n_chars INTEGER,
            text VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS runs (
            run_id VARCHAR PRIMARY KEY,
            started TIMESTAMP DEFAULT current_timestamp,
            finished TIMESTAMP,
            command VARCHAR,
            config JSON,
            corpus_hash VARCHAR,
            versions JSON,
            status VARCHAR)""",
    ],
    [
        # Theme hits, cached per (document key, dictionary hash): a dictionary change
        # misses exactly these rows and re-matches without re-segmenting. ``hit_sets``
        # marks a key as matched (zero hits included); it is written in the same
        # transaction as its hits, so a killed run leaves whole sets or none.
        """CREATE TABLE IF NOT EXISTS hit_sets (
            hits_key VARCHAR NOT NULL,
            dictionary_hash VARCHAR NOT NULL,
            n_hits INTEGER NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (hits_key, dictionary_hash))""",
        """CREATE TABLE IF NOT EXISTS theme_hits (
            hits_key VARCHAR NOT NULL,
            dictionary_hash VARCHAR NOT NULL,
            ord INTEGER NOT NULL,
            theme VARCHAR, rule VARCHAR, term VARCHAR,
            start INTEGER, "end" INTEGER,
            sentence_index INTEGER, sentence VARCHAR, sentence_start INTEGER,
            weight DOUBLE, paragraph_index INTEGER)""",
        "ALTER TABLE runs ADD COLUMN reused JSON",
        "ALTER TABLE documents ADD COLUMN hits_key VARCHAR",
        # The topic model of each run: its share of every topic in every unit
        # (paragraph or document), with the topic's label.
        """CREATE TABLE IF NOT EXISTS topic_assignments (
            run_id VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            doc_id VARCHAR NOT NULL,
            topic INTEGER NOT NULL,
            label VARCHAR,
            share DOUBLE)""",
    ],
    [
        # Part-of-speech tags as ids into ``pos_tags`` (two bytes a token) instead of a
        # string of tags: a third of the bytes, and no joining or splitting. Rows
        # written before keep their ``pos`` string and still decode.
        "ALTER TABLE tokens ADD COLUMN pos_ids BLOB",
        "CREATE TABLE IF NOT EXISTS pos_tags (id INTEGER PRIMARY KEY, tag VARCHAR NOT NULL)",
        # True when no character of the text is changed by t2s (see normalize.view_arrays):
        # a dictionary change then tells from the text alone which documents can hold a
        # new term.
        "ALTER TABLE tokens ADD COLUMN view_plain BOOLEAN",
        # Hit sets are now kept per theme: ``dictionary_hash`` holds a theme's hash
        # (ThemeDictionary.theme_hashes), so sets keyed by a whole dictionary are stale.
        "DELETE FROM theme_hits",
        "DELETE FROM hit_sets",
        # Enough of a document to rebuild it without its file: paragraph spans (packed
        # as token spans are) and the authors as a list.
        "ALTER TABLE documents ADD COLUMN paragraphs BLOB",
        "ALTER TABLE documents ADD COLUMN authors_json JSON",
        # A corpus as read from its input files, keyed by the files' sizes and times
        # and the ingest options (reuse.snapshot_key): a re-run over unchanged files
        # takes its documents and manifest from here instead of reading the files.
        """CREATE TABLE IF NOT EXISTS snapshots (
            snapshot VARCHAR PRIMARY KEY,
            manifest JSON NOT NULL,
            n_documents INTEGER NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp)""",
        """CREATE TABLE IF NOT EXISTS snapshot_documents (
            snapshot VARCHAR NOT NULL,
            ord INTEGER NOT NULL,
            doc_id VARCHAR NOT NULL,
            text_hash VARCHAR NOT NULL,
            hits_key VARCHAR NOT NULL,
            row_hash VARCHAR NOT NULL)""",
    ],
    [
        # The matcher's view of a text that is not 'plain' (traditional characters, or
        # OpenCC phrase rules on a short text); NULL for plain texts, whose text serves.
        # A dictionary change then rules out these texts by SQL too.
        "ALTER TABLE tokens ADD COLUMN view_text VARCHAR",
    ],
    [
        # Fitted topic models keyed by the hash of everything they were fitted from (units,
        # settings, dictionary): a re-run with the same inputs loads the model, not refits it.
        """CREATE TABLE IF NOT EXISTS topic_models (
            key VARCHAR PRIMARY KEY,
            model BLOB NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp)""",
    ],
    [
        # A run's comparison tables keyed by the hash of their inputs (govtext.compare.cached):
        # a re-run over the same documents and settings loads them, not makes them.
        """CREATE TABLE IF NOT EXISTS cached_tables (
            key VARCHAR PRIMARY KEY,
            tables BLOB NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp)""",
    ],
]

# The fields of a ThemeHit after doc_id, in the order hits_frame uses.
_HIT_FIELDS = HIT_FIELDS[1:]

_TOKEN_COLUMNS = ("n_tokens", "word_ids", "spans", "pos", "n_sentences", "sentences", "pos_ids")
_TOKEN_WRITE_COLUMNS = (*_TOKEN_COLUMNS, "view_plain", "view_text")
# Everything load_corpus rebuilds a document from, as one hash (SQL over ``documents d``).
_ROW_HASH = (
    "md5(concat_ws(chr(31), d.doc_id, d.text_hash, d.hits_key, d.title, d.authors_json, d.source, "
    "d.date, d.meta, d.path, d.format, d.encoding, d.position, hex(d.paragraphs)))"
)


class Vocabulary:
    """The store's words, each stored once; tokens hold their ids.

    Ids make the cache about a third of the size of the words themselves, and decoding
    hands out references to one shared string per distinct word instead of a new
    string per token (a 100 MB corpus has some 20 million tokens but ~100 thousand
    distinct words). Append-only: an id never changes.
    """

    def __init__(self, words: list[str], table: str = "vocab") -> None:
        self.table = table  # vocab (words) or pos_tags (tags): (id, value) rows
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        self.n_saved = len(words)
        self._array: Any = None

    def encode(self, words: Sequence[str]) -> bytes:
        """Ids of the words (new words get the next ids, in order of first use)."""
        import numpy as np

        return self.pack(np.array(self.ids(words), dtype=np.uint32))

    def decode(self, raw: bytes) -> tuple[str, ...]:
        import numpy as np

        if self._array is None or len(self._array) != len(self.words):
            self._array = np.array(self.words, dtype=object)
        ids = np.frombuffer(raw, dtype=np.uint16 if raw[:1] == b"2" else np.uint32, offset=1)
        return tuple(self._array[ids].tolist())

    def ids(self, words: Sequence[str]) -> list[int]:
        """The id of every word, new words appended (in order of first appearance)."""
        index = self.index
        ids: list[Any] = list(map(index.get, words))
        i = -1
        try:
            while True:
                i = ids.index(None, i + 1)  # hop between unknown words at C speed
                w = words[i]
                j = index.get(w)
                if j is None:
                    j = index[w] = len(self.words)
                    self.words.append(w)
                ids[i] = j
        except ValueError:
            pass
        return ids

    def pack_batch(self, local_vocab: Sequence[str], local_ids: Any) -> tuple[bytes, bytes, int]:
        """Ids into ``local_vocab`` turned into this vocabulary's, packed as ``pack`` does
        for the whole array: (code, bytes, bytes per id)."""
        import numpy as np

        ids = np.asarray(self.ids(local_vocab), dtype=np.uint32)[local_ids]
        if len(self.words) <= 1 << 16:
            return b"2", ids.astype(np.uint16).tobytes(), 2
        return b"4", ids.tobytes(), 4

    def pack(self, ids: Any) -> bytes:
        """Ids (a numpy array) in the stored form: two bytes each while the vocabulary allows."""
        import numpy as np

        if len(self.words) <= 1 << 16:
            return b"2" + ids.astype(np.uint16).tobytes()
        return b"4" + ids.astype(np.uint32).tobytes()

    def unsaved(self) -> list[tuple[int, str]]:
        rows = [(i, self.words[i]) for i in range(self.n_saved, len(self.words))]
        self.n_saved = len(self.words)
        return rows


def _packed_paragraphs(spans: Sequence[tuple[int, int]]) -> bytes | None:
    """Paragraph spans packed as token spans are; None when they are not in order and
    apart (the packing stores gaps), which keeps such a corpus out of snapshots."""
    from govtext.tokens import pack_spans

    prev = 0
    for a, b in spans:
        if a < prev or b < a:
            return None
        prev = b
    return pack_spans([a for a, _ in spans], [b for _, b in spans])


def _columns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
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


def _run(con: Any, query: str, params: Sequence[Any] | None = None) -> list[Any]:
    """Execute and drain the result: DuckDB refuses new work while a result is pending."""
    return list(con.execute(query, params or []).fetchall())


# Python's whitespace (str.isspace, what str.split drops) as an RE2 class: DuckDB's \s
# is ASCII only, and a term broken by an ideographic space is whole in the view.
_SQL_BLANK = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"

# RE2, DuckDB's regex engine, refuses a program past its size limit: a theme of 7,450
# four-character terms spelled with blanks between characters was measured past it.
# One pattern holds strings of at most this many characters and gaps, a fifth of that.
_PATTERN_BUDGET = 10_000


def _re2_patterns(lits: Sequence[str]) -> list[str]:
    """RE2 patterns that together match a text holding any of ``lits`` (whitespace
    allowed between characters), each within the size budget. A theme without strings
    (no rules) has no hit anywhere: one class matching nothing."""
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for lit in lits:
        cost = 2 * len(lit) - 1
        if chunk and size + cost > _PATTERN_BUDGET:
            out.append("|".join(chunk))
            chunk, size = [], 0
        chunk.append(_re2_spaced(lit))
        size += cost
    if chunk:
        out.append("|".join(chunk))
    return out or ["[^\\x{0}-\\x{10FFFF}]"]


def _re2_spaced(text: str) -> str:
    """An RE2 pattern for ``text`` with any run of whitespace between its characters
    (the strings here have no ASCII, but escape them all the same)."""
    return (_SQL_BLANK + "*").join(re.escape(ch) for ch in text)


class StoreLockedError(GovtextError):
    """Another process has the store open for writing."""


class Store:
    """An open govtext workspace (a DuckDB file); use it as a context manager.

    ``path=":memory:"`` gives a throw-away store (tests, one-off runs). Only one
    process may write a store at a time; a second one gets StoreLockedError naming
    the file and what to do.
    """

    def __init__(
        self, path: str | Path = ":memory:", *, read_only: bool = False, memory_limit: str | None = "1GB"
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.memory_limit = memory_limit
        self._con: Any = None
        self._vocab: Vocabulary | None = None
        self._tags: Vocabulary | None = None
        self._batch_ids: tuple[Any, Any, Any] | None = None
        self._in_transaction = False

    # -- lifecycle -------------------------------------------------------------------

    def open(self) -> Store:
        import duckdb

        if self._con is not None:
            return self
        if self.path != ":memory:":
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
            if self.read_only and not Path(self.path).exists():
                raise GovtextError(
                    f"{self.path}: no store there; run `govtext run` first or give --store PATH"
                ) from exc
            raise GovtextError(
                f"{self.path}: not a govtext store or damaged ({exc}); move it aside and run again"
            ) from exc
        if not self.read_only:
            # Checkpoint (fold the write-ahead log into the file) every 128 MB of log, not
            # every 16 MB: frequent checkpoints cost a run about a tenth of its time, and
            # data not yet checkpointed is held in memory, so not only at close either.
            _run(self._con, "SET checkpoint_threshold = '128MB'")
            self._migrate()
        return self

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
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
        _run(con, MIGRATIONS[0][0])
        rows = _run(con, "SELECT value FROM govtext_meta WHERE key = 'schema_version'")
        version = int(rows[0][0]) if rows else 0
        for i in range(version, len(MIGRATIONS)):
            _run(con, "BEGIN TRANSACTION")
            for stmt in MIGRATIONS[i]:
                _run(con, stmt)
            _run(
                con,
                "INSERT OR REPLACE INTO govtext_meta VALUES ('schema_version', ?)",
                [str(i + 1)],
            )
            _run(con, "COMMIT")

    def schema_version(self) -> int:
        rows = _run(self.con, "SELECT value FROM govtext_meta WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else 0

    @contextmanager
    def _registered(self, name: str, frame: Any) -> Iterator[None]:
        """A DataFrame (or ``_columns``) visible to SQL as ``name`` for the duration (a
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
        _run(self.con, "BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            # words added in memory may not have reached the table: read both again
            self._vocab = self._tags = None
            self._batch_ids = None
            _run(self.con, "ROLLBACK")
            raise
        self._in_transaction = False
        _run(self.con, "COMMIT")

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame (the scholar's way into the store)."""
        return self.con.execute(query, params or []).df()

    # -- tokens ----------------------------------------------------------------------

    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            rows = _run(self.con, "SELECT word FROM vocab ORDER BY id")
            self._vocab = Vocabulary([r[0] for r in rows])
        return self._vocab

    def tag_vocabulary(self) -> Vocabulary:
        """The part-of-speech tags, each stored once (tokens hold their ids)."""
        if self._tags is None:
            rows = _run(self.con, "SELECT tag FROM pos_tags ORDER BY id")
            self._tags = Vocabulary([r[0] for r in rows], table="pos_tags")
        return self._tags

    def _save_vocabularies(self) -> None:
        for voc in (self.vocabulary(), self.tag_vocabulary()):
            new = voc.unsaved()
            if new:
                frame = _columns(["id", "word"], new)
                with self._registered("govtext_new_words", frame):
                    _run(self.con, f"INSERT INTO {voc.table} SELECT id, word FROM govtext_new_words")

    def _global_ids(self, batch: Any) -> tuple[Any, Any]:
        """Word and tag ids of a TokenBatch in the store's vocabularies, packed for the
        whole batch: (code, bytes, bytes per id); a document's ids are a slice. One
        lookup per distinct word of the batch, one numpy take for all its tokens."""
        if self._batch_ids is not None and self._batch_ids[0] is batch:
            return self._batch_ids[1], self._batch_ids[2]
        words = self.vocabulary().pack_batch(batch.vocab, batch.word_ids)
        tags = None
        if batch.tag_ids is not None:
            tags = self.tag_vocabulary().pack_batch(batch.tags, batch.tag_ids)
        self._batch_ids = (batch, words, tags)
        return words, tags

    def get_tokens(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Tokens]:
        """Cached tokens for (text_hash, settings_hash) keys; missing keys are absent.

        The Tokens have an empty doc_id (the cache is keyed by text) and decode lazily.
        """
        from govtext.tokens import Lazy, Tokens

        key_list = list(dict.fromkeys(keys))
        if not key_list:
            return {}
        wanted = _columns(["text_hash", "settings_hash"], key_list)
        with self._registered("govtext_wanted", wanted):
            rows = self.con.execute(
                "SELECT t.text_hash, t.settings_hash, " + ", ".join(f"t.{c}" for c in _TOKEN_COLUMNS) + " "
                "FROM tokens t JOIN govtext_wanted w USING (text_hash, settings_hash)"
            ).fetchall()
        out = {}
        vocab = self.vocabulary()
        tags = self.tag_vocabulary()
        for th, sh, n_tokens, word_ids, spans, pos, n_sentences, sentences, pos_ids in rows:
            out[(th, sh)] = Tokens.unpack(
                "",
                sh,
                n_tokens=n_tokens,
                words=Lazy(word_ids, vocab.decode, n_tokens),
                spans=spans,
                pos=Lazy(pos_ids, tags.decode, n_tokens) if pos_ids is not None else pos,
                n_sentences=n_sentences,
                sentences=sentences,
            )
        return out

    def put_tokens(self, items: Iterable[tuple[str, Tokens] | tuple[str, Tokens, Any]]) -> int:
        """Cache tokens by (text_hash, tokens.settings_hash); existing keys are kept.

        An item may carry a third element, an engine ``DocResult``: its batch's arrays
        (``TokenBatch``) are written directly, with one vocabulary lookup per batch,
        instead of encoding the document's words one by one. Rows go in as one
        DataFrame (a bulk insert, not row by row). Returns the number of rows offered.
        """

        from govtext.tokens import Lazy

        vocab = self.vocabulary()
        tags = self.tag_vocabulary()
        records = []
        seen = set()
        for item in items:
            text_hash, tok = item[0], item[1]
            res = item[2] if len(item) > 2 else None
            key = (text_hash, tok.settings_hash)
            if key in seen:
                continue
            seen.add(key)
            batch = getattr(getattr(res, "batch", None), "tokens", None)
            if batch is not None:
                i = res.index  # type: ignore[union-attr]
                words, tag_ids = self._global_ids(batch)
                a, b = batch.token_range(i)
                packed: dict[str, Any] = {
                    "n_tokens": b - a,
                    "word_ids": words[0] + words[1][a * words[2] : b * words[2]],
                    "spans": batch.spans[i],
                    "pos": None,
                    "n_sentences": batch.n_sentences[i],
                    "sentences": batch.sentences[i],
                    "pos_ids": None
                    if tag_ids is None
                    else tag_ids[0] + tag_ids[1][a * tag_ids[2] : b * tag_ids[2]],
                    "view_plain": batch.view_plain[i] if batch.view_plain is not None else None,
                    "view_text": batch.views[i] if batch.views is not None else None,
                }
            else:
                packed = tok.pack(words=False, pos=False)
                w = tok.words
                if isinstance(w, Lazy) and w._raw is not None and w._decode == vocab.decode:
                    packed["word_ids"] = w._raw  # read from this store and never touched
                else:
                    packed["word_ids"] = vocab.encode(w)
                p = tok.pos
                packed["pos"] = None
                if p is None:
                    packed["pos_ids"] = None
                elif isinstance(p, Lazy) and p._raw is not None and p._decode == tags.decode:
                    packed["pos_ids"] = p._raw
                else:
                    packed["pos_ids"] = tags.encode(p)
                packed["view_plain"] = packed["view_text"] = None
            records.append({"text_hash": text_hash, "settings_hash": tok.settings_hash, **packed})
        if not records:
            return 0
        names = ["text_hash", "settings_hash", *_TOKEN_WRITE_COLUMNS]
        frame = _columns(names, [[r[c] for c in names] for r in records])
        cols = ", ".join(names)
        with self._registered("govtext_new_tokens", frame), self.transaction():
            self._save_vocabularies()
            _run(
                self.con,
                f"INSERT OR IGNORE INTO tokens ({cols}) "
                "SELECT text_hash, settings_hash, n_tokens, word_ids::BLOB, spans::BLOB, pos::VARCHAR, "
                "n_sentences, sentences::BLOB, pos_ids::BLOB, view_plain::BOOLEAN, view_text::VARCHAR "
                "FROM govtext_new_tokens",
            )
        return len(records)

    def put_settings(self, segmenter: Segmenter) -> None:
        """Record what a settings_hash means, so cached rows stay explainable."""
        desc = segmenter.describe()
        _run(
            self.con,
            "INSERT OR IGNORE INTO segmenter_settings (settings_hash, description) VALUES (?, ?)",
            [segmenter.settings_hash, json.dumps(desc, ensure_ascii=False, default=str)],
        )

    def forget_tokens(self, *, keep_settings: Sequence[str] | None = None) -> int:
        """Delete cached tokens, except those of the settings hashes in ``keep_settings``."""
        keep = list(keep_settings or [])
        if keep:
            marks = ", ".join("?" for _ in keep)
            where = f"WHERE settings_hash NOT IN ({marks})"
        else:
            where = ""
        n = _run(self.con, f"SELECT count(*) FROM tokens {where}", keep)[0][0]
        _run(self.con, f"DELETE FROM tokens {where}", keep)
        return int(n)

    def token_stats(self) -> pd.DataFrame:
        """Rows, tokens and bytes cached per settings hash."""
        return self.sql(
            "SELECT settings_hash, count(*) AS documents, sum(n_tokens) AS tokens, "
            "sum(octet_length(spans) + octet_length(word_ids)) AS approx_bytes FROM tokens GROUP BY 1 ORDER BY 1"
        )

    # -- documents and runs ------------------------------------------------------------

    def put_documents(
        self,
        docs: Iterable[Document],
        *,
        with_text: bool = True,
        hits_keys: Sequence[str] | None = None,
        text_hashes: Sequence[str] | None = None,
    ) -> int:
        """Insert or replace documents (metadata, provenance and, by default, text).

        ``hits_keys`` (one per document) link each document to its rows in ``theme_hits``;
        ``text_hashes`` are the texts' content hashes when the caller has them.
        """

        from govtext.documents import content_hash

        rows = []
        for i, d in enumerate(docs):
            p = d.provenance
            # Document.n_chars counts in a Python loop; str.split drops whitespace runs in C
            n_chars = sum(map(len, d.text.split()))
            rows.append(
                {
                    "doc_id": d.doc_id,
                    "text_hash": text_hashes[i] if text_hashes is not None else content_hash(d.text),
                    "title": d.title,
                    "authors": "、".join(d.authors),
                    "source": d.source,
                    "date": d.date,
                    "year": d.year,
                    "meta": json.dumps(dict(d.meta), ensure_ascii=False),
                    "path": p.path if p else None,
                    "format": p.format if p else None,
                    "encoding": p.encoding if p else None,
                    "position": p.position if p else None,
                    "n_chars": n_chars,
                    "text": d.text if with_text else None,
                    "paragraphs": _packed_paragraphs(d.paragraphs),
                    "authors_json": json.dumps(list(d.authors), ensure_ascii=False),
                    "hits_key": hits_keys[i] if hits_keys is not None else None,
                }
            )
        if not rows:
            return 0
        names = list(rows[0])
        frame = _columns(names, [list(r.values()) for r in rows])
        cols = ", ".join(names)
        select = ", ".join(f"{c}::BLOB" if c == "paragraphs" else c for c in names)
        with self._registered("govtext_new_documents", frame):
            _run(
                self.con,
                f"INSERT OR REPLACE INTO documents ({cols}) SELECT {select} FROM govtext_new_documents",
            )
        return len(rows)

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
        _run(
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
        _run(
            self.con,
            "UPDATE runs SET finished = current_timestamp, status = ?, reused = ?, "
            "corpus_hash = coalesce(?, corpus_hash) WHERE run_id = ?",
            [status, json.dumps(reused or {}), corpus_hash, run_id],
        )

    def put_topic_assignments(self, run_id: str, model: Any) -> int:
        """The unit × topic shares of a fitted topic model (``doc_topics_``) for ``run_id``."""
        frame = model.doc_topics_.copy()
        labels = list(model.topic_labels_)
        frame["label"] = [labels[t] for t in frame["topic"]]
        frame["unit_id"] = frame["unit_id"].astype(str)
        frame["doc_id"] = frame["doc_id"].astype(str)
        frame["run_id"] = run_id
        with self._registered("govtext_new_topics", frame):
            _run(self.con, "DELETE FROM topic_assignments WHERE run_id = ?", [run_id])
            _run(
                self.con,
                "INSERT INTO topic_assignments SELECT run_id, unit_id, doc_id, topic, label, share "
                "FROM govtext_new_topics",
            )
        return len(frame)

    # -- fitted topic models ---------------------------------------------------------------

    def get_topic_model(self, key: str) -> bytes | None:
        """The pickled topic model fitted from the inputs hashed as ``key``, if stored."""
        rows = _run(self.con, "SELECT model FROM topic_models WHERE key = ?", [key])
        return bytes(rows[0][0]) if rows else None

    def put_topic_model(self, key: str, blob: bytes) -> None:
        """Keep a pickled topic model under the hash of its inputs (the newest per key)."""
        with self.transaction():
            _run(self.con, "DELETE FROM topic_models WHERE key = ?", [key])
            _run(self.con, "INSERT INTO topic_models (key, model) VALUES (?, ?)", [key, blob])

    def get_cached_tables(self, key: str) -> bytes | None:
        """The pickled tables made from the inputs hashed as ``key``, if stored."""
        rows = _run(self.con, "SELECT tables FROM cached_tables WHERE key = ?", [key])
        return bytes(rows[0][0]) if rows else None

    def put_cached_tables(self, key: str, blob: bytes) -> None:
        """Keep pickled tables under the hash of their inputs; only the newest set is kept
        (a corpus that changes every run must not grow the store)."""
        with self.transaction():
            _run(self.con, "DELETE FROM cached_tables")
            _run(self.con, "INSERT INTO cached_tables (key, tables) VALUES (?, ?)", [key, blob])

    # -- corpus snapshots --------------------------------------------------------------

    def put_snapshot(self, snapshot: str, doc_ids: Sequence[str], manifest: Sequence[FileRecord]) -> None:
        """Remember a corpus under ``snapshot``: the ids of its documents, in order (their
        rows, with text, are already in ``documents``), and its manifest."""
        import dataclasses

        frame = _columns(["ord", "doc_id"], list(enumerate(doc_ids)))
        listing = json.dumps([dataclasses.asdict(f) for f in manifest], ensure_ascii=False)
        with self._registered("govtext_new_snapshot", frame), self.transaction():
            _run(self.con, "DELETE FROM snapshot_documents WHERE snapshot = ?", [snapshot])
            _run(
                self.con,
                "INSERT INTO snapshot_documents SELECT ?, n.ord, n.doc_id, d.text_hash, d.hits_key, "
                f"{_ROW_HASH} FROM govtext_new_snapshot n JOIN documents d USING (doc_id)",
                [snapshot],
            )
            _run(
                self.con,
                "INSERT OR REPLACE INTO snapshots (snapshot, manifest, n_documents) VALUES (?, ?, ?)",
                [snapshot, listing, len(doc_ids)],
            )

    def has_snapshot(self, snapshot: str) -> bool:
        """True when the snapshot exists and every one of its documents is still stored
        as it was, text, metadata and provenance alike (another corpus in this store may
        have reused a doc_id, or the same files been read with other metadata)."""
        rows = _run(self.con, "SELECT n_documents FROM snapshots WHERE snapshot = ?", [snapshot])
        if not rows:
            return False
        ok = _run(
            self.con,
            "SELECT count(*) FROM snapshot_documents s JOIN documents d USING (doc_id) "
            f"WHERE s.snapshot = ? AND s.row_hash = {_ROW_HASH} "
            "AND d.text IS NOT NULL AND d.paragraphs IS NOT NULL",
            [snapshot],
        )
        return int(ok[0][0]) == int(rows[0][0])

    def load_corpus(self, snapshot: str, *, only: Iterable[int] | None = None) -> Corpus:
        """The corpus saved under ``snapshot``: documents in their order, and the manifest
        (``only``: just the documents at these positions)."""
        from govtext.documents import Corpus, Document, FileRecord, Provenance
        from govtext.tokens import unpack_spans

        (manifest,) = _run(self.con, "SELECT manifest FROM snapshots WHERE snapshot = ?", [snapshot])[0]
        rows = _run(
            self.con,
            "SELECT d.doc_id, d.text, d.title, d.authors_json, d.source, d.date, d.meta, d.path, "
            "d.format, d.encoding, d.position, d.paragraphs FROM snapshot_documents s "
            "JOIN documents d USING (doc_id) WHERE s.snapshot = ? "
            + ("AND s.ord IN (SELECT unnest(?::INTEGER[])) " if only is not None else "")
            + "ORDER BY s.ord",
            [snapshot, sorted(only)] if only is not None else [snapshot],
        )
        docs = []
        for doc_id, text, title, authors, source, date, meta, path, fmt, enc, pos, paras in rows:
            a, b = unpack_spans(paras)
            docs.append(
                Document(
                    doc_id=doc_id,
                    text=text,
                    title=title or "",
                    authors=tuple(json.loads(authors)),
                    source=source or "",
                    date=date or "",
                    meta=json.loads(meta),
                    paragraphs=tuple(zip(a.tolist(), b.tolist(), strict=True)),
                    provenance=Provenance(path, fmt, enc or "", pos or 0) if path is not None else None,
                )
            )
        return Corpus(documents=docs, files=[FileRecord(**f) for f in json.loads(manifest)])

    # -- theme hits --------------------------------------------------------------------

    def get_hits(
        self, keys: Iterable[str], theme_hashes: Mapping[str, str]
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, frozenset[str]]]:
        """Cached hits per key, and the themes each key still lacks.

        Hits are kept per (key, theme hash) (``ThemeDictionary.theme_hashes``): the
        first dict has, for every key, the hits (dicts of the ThemeHit fields, doc_id
        apart) of the themes whose sets are stored, in the matcher's order; the second
        names, for the keys that lack some, the themes still to match.
        """
        key_list = list(dict.fromkeys(keys))
        if not key_list:
            return {}, {}
        theme_of = {h: t for t, h in theme_hashes.items()}
        wanted = _columns(["hits_key"], [(k,) for k in key_list])
        hashes = _columns(["dictionary_hash"], [(h,) for h in theme_of])
        all_themes = frozenset(theme_hashes)
        missing: dict[str, frozenset[str]] = {}
        with (
            self._registered("govtext_wanted_hits", wanted),
            self._registered("govtext_theme_hashes", hashes),
        ):
            # How many of the themes each key has: all (the usual re-run), none (a new
            # text) or some (a dictionary change); only the last needs the themes named.
            present = _run(
                self.con,
                "SELECT w.hits_key, count(s.hits_key) FROM govtext_wanted_hits w LEFT JOIN "
                "(SELECT hits_key FROM hit_sets JOIN govtext_theme_hashes USING (dictionary_hash)) s "
                "USING (hits_key) GROUP BY 1",
            )
            partial = [k for k, n in present if 0 < n < len(all_themes)]
            missing.update((k, all_themes) for k, n in present if n == 0)
            if partial:
                frame = _columns(["hits_key"], [(k,) for k in partial])
                with self._registered("govtext_partial_hits", frame):
                    lacking = _run(
                        self.con,
                        "SELECT p.hits_key, t.dictionary_hash FROM govtext_partial_hits p "
                        "CROSS JOIN govtext_theme_hashes t ANTI JOIN hit_sets s "
                        "ON s.hits_key = p.hits_key AND s.dictionary_hash = t.dictionary_hash",
                    )
                by_key: dict[str, set[str]] = {}
                for k, h in lacking:
                    by_key.setdefault(k, set()).add(theme_of[h])
                missing.update((k, frozenset(v)) for k, v in by_key.items())
            rows = self.con.execute(
                "SELECT h.hits_key, "
                + ", ".join(f'h."{c}"' for c in _HIT_FIELDS)
                + " FROM theme_hits h JOIN govtext_wanted_hits w USING (hits_key) "
                "JOIN govtext_theme_hashes USING (dictionary_hash)"
            ).fetchall()
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in key_list}
        for row in rows:
            out[row[0]].append(dict(zip(_HIT_FIELDS, row[1:], strict=True)))
        for found in out.values():
            # the matcher's order: text order, longer first, then theme and rule
            found.sort(key=lambda h: (h["start"], h["start"] - h["end"], h["theme"], h["rule"]))
        return out, missing

    def put_hits(self, items: Iterable[tuple[str, Sequence[Any]]], theme_hashes: Mapping[str, str]) -> int:
        """Cache the hits (ThemeHit-like objects) of each key for the themes of
        ``theme_hashes`` (those it was matched for: a theme without hits gets an empty
        set), in one transaction."""

        sets: list[tuple[str, str, int]] = []
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for key, hits in items:
            if key in seen:
                continue
            seen.add(key)
            by_theme: dict[str, list[Any]] = {t: [] for t in theme_hashes}
            for h in hits:
                by_theme[h.theme].append(h)
            for theme, found in by_theme.items():
                th = theme_hashes[theme]
                sets.append((key, th, len(found)))
                for i, h in enumerate(found):
                    rows.append((key, th, i, *(getattr(h, c) for c in _HIT_FIELDS)))
        if not sets:
            return 0
        set_frame = _columns(["hits_key", "dictionary_hash", "n_hits"], sets)
        hit_names = ["hits_key", "dictionary_hash", "ord", *_HIT_FIELDS]
        hit_frame = _columns(hit_names, rows)
        cols = ", ".join(f'"{c}"' for c in hit_names)
        with self._registered("govtext_new_sets", set_frame), self._registered("govtext_new_hits", hit_frame):
            with self.transaction():
                _run(
                    self.con,
                    "DELETE FROM theme_hits USING govtext_new_sets s "
                    "WHERE theme_hits.hits_key = s.hits_key AND theme_hits.dictionary_hash = s.dictionary_hash",
                )
                _run(self.con, f"INSERT INTO theme_hits ({cols}) SELECT {cols} FROM govtext_new_hits")
                _run(
                    self.con,
                    "INSERT OR REPLACE INTO hit_sets (hits_key, dictionary_hash, n_hits) "
                    "SELECT hits_key, dictionary_hash, n_hits FROM govtext_new_sets",
                )
        return len(seen)

    def searchable(self, keys: Iterable[tuple[str, str]]) -> dict[str, str | None]:
        """Per text hash, a string that holds every string without ASCII characters that
        the text's normalised view holds, once whitespace is removed from both: None
        for a plain text (only width folding and whitespace removal made its view: the
        text itself serves), the stored view otherwise. Texts recorded without either
        (rows written before views were kept) are absent."""
        key_list = list(dict.fromkeys(keys))
        if not key_list:
            return {}
        wanted = _columns(["text_hash", "settings_hash"], key_list)
        with self._registered("govtext_wanted_views", wanted):
            rows = _run(
                self.con,
                "SELECT t.text_hash, t.view_text FROM tokens t JOIN govtext_wanted_views w "
                "USING (text_hash, settings_hash) WHERE t.view_plain OR t.view_text IS NOT NULL",
            )
        return dict(rows)

    # -- what a snapshot lacks (the reuse planner, govtext.reuse) -----------------------

    def snapshot_size(self, snapshot: str) -> int:
        """The number of documents saved under ``snapshot``."""
        rows = _run(self.con, "SELECT count(*) FROM snapshot_documents WHERE snapshot = ?", [snapshot])
        return int(rows[0][0])

    def snapshot_without_tokens(self, snapshot: str, settings_hash: str) -> int:
        """The number of the snapshot's documents whose text has no tokens stored under
        ``settings_hash`` (the segmenter changed since they were read)."""
        rows = _run(
            self.con,
            "SELECT count(*) FROM snapshot_documents s ANTI JOIN tokens t "
            "ON t.text_hash = s.text_hash AND t.settings_hash = ? WHERE s.snapshot = ?",
            [settings_hash, snapshot],
        )
        return int(rows[0][0])

    def snapshot_incomplete_themes(self, snapshot: str, theme_hashes: Mapping[str, str]) -> dict[str, str]:
        """The themes of ``theme_hashes`` (id → hash) whose hit set some document key of
        the snapshot lacks. A theme's sets are counted, not listed, so the usual cases
        (every set there; a new theme nowhere) cost one aggregate each."""
        have = dict(
            _run(
                self.con,
                "SELECT h.dictionary_hash, count(*) FROM hit_sets h "
                "JOIN (SELECT DISTINCT hits_key FROM snapshot_documents WHERE snapshot = ?) k USING (hits_key) "
                "WHERE h.dictionary_hash IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
                [snapshot, list(theme_hashes.values())],
            )
        )
        ((n_keys,),) = _run(
            self.con,
            "SELECT count(DISTINCT hits_key) FROM snapshot_documents WHERE snapshot = ?",
            [snapshot],
        )
        return {t: h for t, h in theme_hashes.items() if have.get(h, 0) < n_keys}

    def _snapshot_lacking(self, snapshot: str, themes: Mapping[str, str], what: str, group: str) -> list[Any]:
        return _run(
            self.con,
            f"SELECT {what} FROM snapshot_documents s CROSS JOIN "
            "(SELECT unnest(?::VARCHAR[]) AS theme, unnest(?::VARCHAR[]) AS th) t "
            "ANTI JOIN hit_sets h ON h.hits_key = s.hits_key AND h.dictionary_hash = t.th "
            f"WHERE s.snapshot = ?{group}",
            [list(themes), list(themes.values()), snapshot],
        )

    def snapshot_count_lacking(self, snapshot: str, themes: Mapping[str, str]) -> int:
        """The number of the snapshot's documents that lack the hit set of one of
        ``themes`` (id → hash) or more."""
        return int(self._snapshot_lacking(snapshot, themes, "count(DISTINCT s.ord)", "")[0][0])

    def snapshot_lacking(self, snapshot: str, themes: Mapping[str, str]) -> list[tuple[int, list[str]]]:
        """Per document key of the snapshot that lacks the hit set of one of ``themes``
        (id → hash) or more: its first position in the snapshot and the themes it lacks
        (sorted)."""
        rows = self._snapshot_lacking(
            snapshot, themes, "min(s.ord), list(t.theme ORDER BY t.theme)", " GROUP BY s.hits_key"
        )
        return [(int(o), sorted(lacks)) for o, lacks in rows]

    def put_absent_hit_sets(
        self, snapshot: str, settings_hash: str, theme_hash: str, literals: Sequence[str]
    ) -> bool:
        """Record an empty hit set of the theme ``theme_hash`` for every document key of
        the snapshot whose text cannot hold it: the text (or, for a text with traditional
        characters, its view as stored with its tokens under ``settings_hash``), whitespace
        removed, holds none of ``literals`` (strings without ASCII or whitespace, all the
        theme's rules need one of). Keys that have the set already are left alone; so
        are texts recorded without their view. False, and nothing written, when RE2
        refuses a pattern (its size limit, whatever the budget): the caller matches those
        texts instead."""
        import duckdb

        # "Whitespace removed" is in the pattern (any blanks between the characters):
        # ten times quicker than removing it from every text first.
        patterns = _re2_patterns(literals)
        holds = " OR ".join(["regexp_matches(coalesce(t.view_text, d.text), ?)"] * len(patterns))
        try:
            with self.transaction():
                _run(
                    self.con,
                    "INSERT INTO hit_sets (hits_key, dictionary_hash, n_hits) "
                    "SELECT DISTINCT s.hits_key, ?, 0 FROM snapshot_documents s "
                    "JOIN documents d USING (doc_id) "
                    "JOIN tokens t ON t.text_hash = s.text_hash AND t.settings_hash = ? "
                    "WHERE s.snapshot = ? AND (t.view_plain OR t.view_text IS NOT NULL) "
                    f"AND NOT ({holds}) "
                    "AND NOT EXISTS (SELECT 1 FROM hit_sets h WHERE h.hits_key = s.hits_key "
                    "AND h.dictionary_hash = ?)",
                    [theme_hash, settings_hash, snapshot, *patterns, theme_hash],
                )
        except duckdb.InvalidInputException:
            return False
        return True


def segment_cached(
    docs: Iterable[Document],
    segmenter: Segmenter,
    store: Store,
    *,
    workers: int = 1,
    batch_chars: int = 20_000_000,
) -> list[Tokens]:
    """Tokens of every document, read from the store where cached, computed otherwise.

    Keys are (content hash of the text, segmenter settings hash): documents with the
    same text share a row, and a change of dictionary or settings misses exactly the
    rows made under the old settings. New tokens are written in batches of about
    ``batch_chars`` characters.
    """
    return list(iter_segment_cached(docs, segmenter, store, workers=workers, batch_chars=batch_chars))


def iter_segment_cached(
    docs: Iterable[Document],
    segmenter: Segmenter,
    store: Store,
    *,
    workers: int = 1,
    batch_chars: int = 20_000_000,
) -> Iterator[Tokens]:
    """``segment_cached`` as a stream, in document order."""
    from govtext.documents import content_hash
    from govtext.segment import segment_many

    sh = segmenter.settings_hash
    doc_list = list(docs)
    hashes = [content_hash(d.text) for d in doc_list]
    hits = {th: tok for (th, _), tok in store.get_tokens((h, sh) for h in hashes).items()}
    misses: dict[str, Document] = {}
    for d, h in zip(doc_list, hashes, strict=True):
        if h not in hits and h not in misses:
            misses[h] = d
    if misses:
        store.put_settings(segmenter)
        batch: list[tuple[str, Tokens]] = []
        size = 0
        miss_hashes = list(misses)
        for h, tok in zip(
            miss_hashes, segment_many(misses.values(), segmenter, workers=workers), strict=True
        ):
            hits[h] = tok
            batch.append((h, tok))
            size += len(misses[h].text)
            if size >= batch_chars:
                store.put_tokens(batch)
                batch, size = [], 0
        store.put_tokens(batch)
    for d, h in zip(doc_list, hashes, strict=True):
        yield hits[h].with_doc_id(d.doc_id)


def query_store(path: str | Path, query: str, *, out: str | Path | None = None) -> pd.DataFrame:
    """Run ``query`` on the store at ``path`` through a read-only connection.

    ``out`` (a ``.csv`` or ``.parquet`` path) also writes the result there. A store
    another process is writing gives StoreLockedError; a bad query a GovtextError
    with DuckDB's one-line reason.
    """
    import duckdb

    if not Path(path).exists():
        raise GovtextError(f"{path}: no store there; run `govtext run` first, or give --store PATH")
    suffix = Path(out).suffix.lower() if out is not None else ""
    if out is not None and suffix not in {".csv", ".parquet"}:
        raise GovtextError(f"--out {out}: give a .csv or .parquet file name")
    with Store(path, read_only=True) as store:
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
                    _run(store.con, f"COPY (SELECT * FROM govtext_result) TO '{target}' (FORMAT PARQUET)")
    return frame
