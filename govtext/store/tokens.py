"""The token cache: tokens keyed by (text hash, segmenter settings hash), words and
part-of-speech tags as ids into vocabularies stored once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from govtext.store.connection import Connection, columns, execute

if TYPE_CHECKING:
    import pandas as pd

    from govtext.segment import Segmenter
    from govtext.tokens import Tokens

_TOKEN_COLUMNS = ("n_tokens", "word_ids", "spans", "pos", "n_sentences", "sentences", "pos_ids")
_TOKEN_WRITE_COLUMNS = (*_TOKEN_COLUMNS, "view_plain", "view_text")


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
        ids, words = self.codes(raw)
        return tuple(words[ids].tolist())

    def codes(self, raw: bytes) -> tuple[Any, Any]:
        """The ids of packed words and the array they index (``Tokens.word_codes``)."""
        import numpy as np

        if self._array is None or len(self._array) != len(self.words):
            self._array = np.array(self.words, dtype=object)
        return np.frombuffer(raw, dtype=np.uint16 if raw[:1] == b"2" else np.uint32, offset=1), self._array

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


class TokenTables(Connection):
    """The store's methods on ``tokens``, ``vocab``, ``pos_tags`` and ``segmenter_settings``."""

    _vocab: Vocabulary | None = None
    _tags: Vocabulary | None = None
    _batch_ids: tuple[Any, Any, Any] | None = None

    def _forget_unsaved(self) -> None:
        # words added in memory may not have reached the table: read both again
        self._vocab = self._tags = None
        self._batch_ids = None

    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            rows = execute(self.con, "SELECT word FROM vocab ORDER BY id")
            self._vocab = Vocabulary([r[0] for r in rows])
        return self._vocab

    def tag_vocabulary(self) -> Vocabulary:
        """The part-of-speech tags, each stored once (tokens hold their ids)."""
        if self._tags is None:
            rows = execute(self.con, "SELECT tag FROM pos_tags ORDER BY id")
            self._tags = Vocabulary([r[0] for r in rows], table="pos_tags")
        return self._tags

    def _save_vocabularies(self) -> None:
        for voc in (self.vocabulary(), self.tag_vocabulary()):
            new = voc.unsaved()
            if new:
                frame = columns(["id", "word"], new)
                with self._registered("govtext_new_words", frame):
                    execute(self.con, f"INSERT INTO {voc.table} SELECT id, word FROM govtext_new_words")

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
        wanted = columns(["text_hash", "settings_hash"], key_list)
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
        frame = columns(names, [[r[c] for c in names] for r in records])
        cols = ", ".join(names)
        with self._registered("govtext_new_tokens", frame), self.transaction():
            self._save_vocabularies()
            execute(
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
        execute(
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
        n = execute(self.con, f"SELECT count(*) FROM tokens {where}", keep)[0][0]
        execute(self.con, f"DELETE FROM tokens {where}", keep)
        return int(n)

    def token_stats(self) -> pd.DataFrame:
        """Rows, tokens and bytes cached per settings hash."""
        return self.sql(
            "SELECT settings_hash, count(*) AS documents, sum(n_tokens) AS tokens, "
            "sum(octet_length(spans) + octet_length(word_ids)) AS approx_bytes FROM tokens GROUP BY 1 ORDER BY 1"
        )

    def searchable(self, keys: Iterable[tuple[str, str]]) -> dict[str, str | None]:
        """Per text hash, a string that holds every string without ASCII characters that
        the text's normalised view holds, once whitespace is removed from both: None
        for a plain text (only width folding and whitespace removal made its view: the
        text itself serves), the stored view otherwise. Texts recorded without either
        (rows written before views were kept) are absent."""
        key_list = list(dict.fromkeys(keys))
        if not key_list:
            return {}
        wanted = columns(["text_hash", "settings_hash"], key_list)
        with self._registered("govtext_wanted_views", wanted):
            rows = execute(
                self.con,
                "SELECT t.text_hash, t.view_text FROM tokens t JOIN govtext_wanted_views w "
                "USING (text_hash, settings_hash) WHERE t.view_plain OR t.view_text IS NOT NULL",
            )
        return dict(rows)
