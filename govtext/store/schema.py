"""The store's schema, as migrations: every store opened is brought up to date, in order, once.

Append a list of SQL statements to ``MIGRATIONS`` to grow the schema (never edit one
that has shipped: stores already past it would not see the change).
"""

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
    [
        # A topic model's unit shares kept once per model (``model_key``: the hash of its
        # inputs, topics.workflow.model_key), and each run pointing at the set it used: a
        # re-run that loads its model writes one row instead of every (unit, topic) share
        # again (315,000 rows and 0.35 s on ../shared/corpus), and the store grows with the
        # models fitted, not with the runs. ``topic_assignments`` stays, as a view, with the
        # columns it had. Sets written before are carried over under a key of their run.
        """CREATE TABLE IF NOT EXISTS topic_shares (
            model_key VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            doc_id VARCHAR NOT NULL,
            topic INTEGER NOT NULL,
            label VARCHAR,
            share DOUBLE)""",
        # A set is listed here in the transaction that writes its rows: listed means whole.
        """CREATE TABLE IF NOT EXISTS topic_share_sets (
            model_key VARCHAR PRIMARY KEY,
            n_rows BIGINT NOT NULL,
            created TIMESTAMP DEFAULT current_timestamp)""",
        """CREATE TABLE IF NOT EXISTS run_topics (
            run_id VARCHAR PRIMARY KEY,
            model_key VARCHAR NOT NULL)""",
        "INSERT INTO topic_shares SELECT 'run:' || run_id, unit_id, doc_id, topic, label, share "
        "FROM topic_assignments",
        "INSERT INTO topic_share_sets (model_key, n_rows) SELECT 'run:' || run_id, count(*) "
        "FROM topic_assignments GROUP BY run_id",
        "INSERT INTO run_topics SELECT DISTINCT run_id, 'run:' || run_id FROM topic_assignments",
        "DROP TABLE topic_assignments",
        """CREATE VIEW topic_assignments AS
            SELECT r.run_id, s.unit_id, s.doc_id, s.topic, s.label, s.share
            FROM run_topics r JOIN topic_shares s USING (model_key)""",
    ],
    [
        # A topic's label kept once per (model, topic) in ``topic_labels`` instead of on
        # each of its units' rows: 3 million copies of a label on 100 MB were ~0.2 GB of
        # the run's memory while the shares were inserted (the run's peak, issue 20).
        # ``topic_assignments`` keeps its columns.
        """CREATE TABLE IF NOT EXISTS topic_labels (
            model_key VARCHAR NOT NULL,
            topic INTEGER NOT NULL,
            label VARCHAR,
            PRIMARY KEY (model_key, topic))""",
        "INSERT INTO topic_labels SELECT model_key, topic, any_value(label) FROM topic_shares "
        "GROUP BY model_key, topic",
        "DROP VIEW topic_assignments",
        "ALTER TABLE topic_shares DROP COLUMN label",
        """CREATE VIEW topic_assignments AS
            SELECT r.run_id, s.unit_id, s.doc_id, s.topic, l.label, s.share
            FROM run_topics r JOIN topic_shares s USING (model_key)
            LEFT JOIN topic_labels l ON l.model_key = s.model_key AND l.topic = s.topic""",
    ],
]
