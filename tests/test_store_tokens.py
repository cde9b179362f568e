"""The store: token cache round trip, cached segmentation, invalidation, locking.

Cached segmentation is ``work.segment_documents(..., store=st)``, ``govtext segment``'s path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from govtext.documents import Document, content_hash
from govtext.engine import EngineConfig
from govtext.segment import Segmenter
from govtext.store import MIGRATIONS, Store, StoreLockedError
from govtext.tokens import Lazy, Tokens
from govtext.work import WorkerSettings, segment_documents

ROOT = Path(__file__).resolve().parents[1]

DOCS = [
    Document(doc_id="a", text="街道吹哨、部门报到，推动接诉即办向未诉先办延伸。"),
    Document(doc_id="b", text="坚持自治、法治、德治相结合，\n  健全基层群众自治制度。"),
    Document(doc_id="c", text="ＡＢＣ社区建立居民议事厅，共建共治共享。"),
    Document(doc_id="a-copy", text="街道吹哨、部门报到，推动接诉即办向未诉先办延伸。"),
]
NEW_DOC = Document(doc_id="d", text="推动资源下沉到社区。")


# Settings as a plain Segmenter() has them (no POS), so its tokens compare equal.
PLAIN = WorkerSettings(pos=False, match=False)
IN_PROCESS = EngineConfig(workers=1)


def segment_through_store(
    docs: list[Document], settings: WorkerSettings, store: Store, engine: EngineConfig = IN_PROCESS
) -> list[Tokens]:
    """The tokens of ``docs`` from the store where it holds them, segmented otherwise."""
    return list(segment_documents(docs, settings, engine, store=store))


class Counter:
    """Counts the texts of given documents the Segmenter really segments (in process)."""

    def __init__(self, docs: list[Document]) -> None:
        self.texts = {d.text for d in docs}
        self.seen: list[str] = []

    @property
    def calls(self) -> int:
        # the engine's warm-up document (work.prepare) is not one of ours
        return sum(t in self.texts for t in self.seen)


@pytest.fixture
def counting(monkeypatch):
    counter = Counter([*DOCS, NEW_DOC])
    real = Segmenter.tokens_batch

    def tokens_batch(self, texts, **kwargs):
        counter.seen.extend(texts)
        return real(self, texts, **kwargs)

    monkeypatch.setattr(Segmenter, "tokens_batch", tokens_batch)
    return counter


def test_store_tokens_round_trip_equal_and_lazy(tmp_path):
    seg = Segmenter(pos=True)
    toks = [seg.tokens(d) for d in DOCS[:3]]
    with Store(tmp_path / "w.duckdb") as store:
        store.put_tokens((content_hash(d.text), t) for d, t in zip(DOCS, toks, strict=False))
    with Store(tmp_path / "w.duckdb") as store:
        got = store.get_tokens((content_hash(d.text), seg.settings_hash) for d in DOCS[:3])
    assert len(got) == 3
    for d, t in zip(DOCS, toks, strict=False):
        back = got[(content_hash(d.text), seg.settings_hash)]
        assert isinstance(back.words, Lazy)
        assert back.with_doc_id(d.doc_id) == t
        assert list(back.pos or ()) == list(t.pos or ())


def test_store_get_tokens_missing_keys_are_absent():
    with Store() as store:
        assert store.get_tokens([("nope", "nope")]) == {}
        assert store.get_tokens([]) == {}


def test_store_cached_segmentation_second_run_computes_nothing(tmp_path, counting):
    with Store(tmp_path / "w.duckdb") as store:
        first = segment_through_store(DOCS, PLAIN, store)
    assert counting.calls == 3  # the copy of "a" shares its row
    with Store(tmp_path / "w.duckdb") as store:
        second = segment_through_store(DOCS, PLAIN, store)
    assert counting.calls == 3
    assert [t.doc_id for t in second] == ["a", "b", "c", "a-copy"]
    assert second == first
    assert first == [Segmenter().tokens(d) for d in DOCS]


def test_store_dictionary_change_invalidates_exactly_its_rows(tmp_path, counting):
    extra = tmp_path / "extra.txt"
    extra.write_text("居民议事 300 nz\n", encoding="utf-8")
    base = Segmenter()
    custom = Segmenter(user_dicts=[extra])
    assert base.settings_hash != custom.settings_hash
    custom_settings = WorkerSettings(user_dicts=(str(extra),), pos=False, match=False)
    with Store(tmp_path / "w.duckdb") as store:
        segment_through_store(DOCS, PLAIN, store)
        assert counting.calls == 3
        got = segment_through_store(DOCS, custom_settings, store)  # new dictionary: every text again
        assert counting.calls == 6
        assert got == [custom.tokens(d) for d in DOCS]
        segment_through_store(DOCS, PLAIN, store)  # old settings: still cached
        assert counting.calls == 6
        segment_through_store([*DOCS, NEW_DOC], PLAIN, store)  # only the new text
        assert counting.calls == 7
        # editing the dictionary file in place changes the hash too
        extra.write_text("居民议事 300 nz\n社区 100 n\n", encoding="utf-8")
        edited = Segmenter(user_dicts=[extra])
        assert edited.settings_hash != custom.settings_hash
        assert set(store.token_stats()["settings_hash"]) == {base.settings_hash, custom.settings_hash}


def test_store_stopword_settings_do_not_invalidate_tokens():
    assert Segmenter(filler_words=False).settings_hash == Segmenter().settings_hash
    assert Segmenter(pos=True).settings_hash != Segmenter().settings_hash
    assert Segmenter(hmm=True).settings_hash != Segmenter().settings_hash


def test_store_second_writer_gets_a_clear_error(tmp_path):
    path = tmp_path / "w.duckdb"
    ready = tmp_path / "ready"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time, pathlib
                from govtext.store import Store
                with Store({str(path)!r}):
                    pathlib.Path({str(ready)!r}).touch()
                    time.sleep(30)
                """
            ),
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(200):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists()
        with pytest.raises(StoreLockedError) as err:
            Store(path).open()
        msg = str(err.value)
        assert str(path) in msg and "another process" in msg
        assert f"PID {holder.pid}" in msg
    finally:
        holder.kill()
        holder.wait()


def test_store_schema_is_migrated_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        store.put_run("r1", command="segment", config={"hmm": False}, corpus_hash="x")
        store.put_documents(DOCS[:2])
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.sql("SELECT count(*) AS n FROM documents")["n"][0] == 2
        assert store.sql("SELECT run_id FROM runs")["run_id"].tolist() == ["r1"]


def test_store_cached_segmentation_with_workers_keeps_order(tmp_path):
    docs = [Document(doc_id=str(i), text=f"第{i}个社区推进接诉即办。" * (i + 1)) for i in range(12)]
    seg = Segmenter()
    # batches of a few documents, so that both workers get several
    engine = EngineConfig(workers=2, batch_chars=60)
    with Store(tmp_path / "w.duckdb") as store:
        got = segment_through_store(docs, PLAIN, store, engine)
    assert [t.doc_id for t in got] == [d.doc_id for d in docs]
    assert got == [seg.tokens(d) for d in docs]


def test_store_vocabulary_stores_each_word_once_and_persists(tmp_path):
    seg = Segmenter()
    path = tmp_path / "w.duckdb"
    with Store(path) as store:
        segment_through_store(DOCS[:2], PLAIN, store)
        n_words = store.sql("SELECT count(*) AS n FROM vocab")["n"][0]
        distinct = {w for d in DOCS[:2] for w in seg.tokens(d).words}
        assert n_words == len(distinct)
    with Store(path) as store:
        segment_through_store(DOCS, PLAIN, store)  # one new text: only its new words are added
        words = store.sql("SELECT word FROM vocab ORDER BY id")["word"].tolist()
        assert len(words) == len(set(words)) == len({w for d in DOCS for w in seg.tokens(d).words})
        back = segment_through_store(DOCS, PLAIN, store)
    # repeated words decode to one shared string object
    shared = [w for w in back[1].words if w == ","] + [w for w in back[2].words if w == ","]
    assert len(shared) == 2 and shared[0] is shared[1]


def test_store_tokens_from_one_store_go_into_another(tmp_path):
    seg = Segmenter(pos=True)
    with Store(tmp_path / "a.duckdb") as a:
        first = segment_through_store(DOCS, WorkerSettings(pos=True), a)
    with Store(tmp_path / "b.duckdb") as b:
        b.put_tokens((content_hash(d.text), t) for d, t in zip(DOCS, first, strict=True))
        again = b.get_tokens((content_hash(d.text), seg.settings_hash) for d in DOCS)
    assert [again[(content_hash(d.text), seg.settings_hash)].with_doc_id(d.doc_id) for d in DOCS] == first


def test_store_tokens_pickle_as_plain_tuples(tmp_path):
    import pickle

    seg = Segmenter()
    with Store(tmp_path / "w.duckdb") as store:
        segment_through_store(DOCS, PLAIN, store)
        cached = segment_through_store(DOCS, PLAIN, store)
    for tok in [*cached, seg.tokens(DOCS[1])]:
        back = pickle.loads(pickle.dumps(tok))
        assert back == tok
        assert isinstance(back.words, tuple) and isinstance(back.starts, tuple)
    t = cached[0]
    plain = Tokens(
        t.doc_id, tuple(t.words), tuple(t.starts), tuple(t.ends), None, tuple(t.sentences), t.settings_hash
    )
    assert len(pickle.dumps(t)) < len(pickle.dumps(plain)) + 100  # no store vocabulary travels along
