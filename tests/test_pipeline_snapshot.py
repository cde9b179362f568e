"""Corpus snapshots: a re-run over unchanged input files reads none of them.

``stages.update_store`` keys the corpus it read by the files' sizes and modification
times and the ingest options; the next run over the same files takes documents and
manifest from the store. These tests hold the stored corpus equal to a fresh read on
the real corpora, check what invalidates a snapshot, and check the SQL shortcut's
whitespace class against Python's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_CORPUS

from govtext.pipeline import PipelineConfig, TopicsConfig
from govtext.stages import ingest, load_themes, snapshot_key, update_store
from govtext.store import Store
from govtext.store.snapshot_queries import _SQL_BLANK, _re2_spaced


def _cfg() -> PipelineConfig:
    return PipelineConfig(topics=TopicsConfig(enabled=False))


def _update(paths: list[str], store: Store, cfg: PipelineConfig | None = None) -> Any:
    cfg = cfg or _cfg()
    return update_store(paths, cfg, store, load_themes(cfg), engine=cfg.engine)


@pytest.mark.parametrize("which", ["sample", "provincial", "seed", "national"])
def test_stored_corpus_equals_a_fresh_read(which: str, tmp_path: Path, shared_corpus: Path) -> None:
    paths = {
        "sample": [str(SAMPLE_CORPUS)],
        "provincial": [str(shared_corpus / "provincial-reports-2026")],
        "seed": [str(next((shared_corpus / "seed").glob("*.txt")))],
        "national": [str(shared_corpus / "national-reports" / "government_work_reports.jsonl")],
    }[which]
    with Store(tmp_path / "s.duckdb") as store:
        first = _update(paths, store)
        assert first.corpus is not None and first.snapshot is not None
        second = _update(paths, store)
        assert second.corpus is None and second.snapshot == first.snapshot
        assert second.counts["segmented"] == second.counts["matched"] == 0
        loaded = store.load_corpus(second.snapshot)
    fresh = ingest(paths, _cfg())
    assert loaded.files == fresh.files
    assert len(loaded.documents) == len(fresh.documents)
    for a, b in zip(loaded.documents, fresh.documents, strict=True):
        assert a == b, a.doc_id


def test_stored_paragraph_spans_decode_as_unpack_spans(national_file: Path) -> None:
    """load_corpus decodes paragraph spans in plain Python; every width pack_spans writes
    (one, two and eight bytes a number) gives what govtext.tokens.unpack_spans gives."""
    from govtext.store.documents import _paragraph_spans
    from govtext.tokens import pack_spans, unpack_spans

    docs = ingest([str(national_file)], _cfg()).documents
    spans = [d.paragraphs for d in docs] + [((0, 300), (70_000, 70_001)), ((5, 9), (2**40, 2**40 + 3)), ()]
    widths = set()
    for pairs in spans:
        raw = pack_spans([a for a, _ in pairs], [b for _, b in pairs])
        widths.add(raw[:1])
        a, b = unpack_spans(raw)
        assert _paragraph_spans(raw) == tuple(zip(a.tolist(), b.tolist(), strict=True)) == tuple(pairs)
    assert widths == {b"1", b"2", b"4"}


def test_a_changed_added_or_removed_file_changes_the_snapshot(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    cfg = _cfg()
    key = snapshot_key([str(folder)], cfg)
    assert key is not None and key == snapshot_key([str(folder)], cfg)
    one = next(folder.glob("*.md"))
    st = one.stat()
    os.utime(one, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    touched = snapshot_key([str(folder)], cfg)
    assert touched != key
    (folder / "new.txt").write_text("推进接诉即办。", encoding="utf-8")
    added = snapshot_key([str(folder)], cfg)
    assert added not in (key, touched)
    (folder / "new.txt").unlink()
    assert snapshot_key([str(folder)], cfg) == touched
    cfg.ingest.max_doc_chars = 1000
    assert snapshot_key([str(folder)], cfg) != touched  # ingest options are part of it
    assert snapshot_key(["-"], cfg) is None  # standard input cannot be seen unread


def test_rerun_after_touching_a_file_reads_the_files_again(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    with Store(tmp_path / "s.duckdb") as store:
        first = _update([str(folder)], store)
        one = next(folder.glob("*.md"))
        one.write_text(one.read_text(encoding="utf-8") + "\n\n新增一段：推进网格化管理。\n", encoding="utf-8")
        again = _update([str(folder)], store)
        assert again.corpus is not None and again.snapshot != first.snapshot
        assert again.counts["segmented"] == 1  # only the edited text


def test_snapshot_whose_documents_were_replaced_is_not_used(tmp_path: Path) -> None:
    """Another corpus in the same store may reuse a doc_id with another text."""
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "doc.txt").write_text("推进接诉即办改革。", encoding="utf-8")
    (b / "doc.txt").write_text("健全基层治理体系。", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        first = _update([str(a)], store)
        _update([str(b)], store)  # the same doc_id "doc", another text
        assert not store.has_snapshot(first.snapshot)
        again = _update([str(a)], store)
        assert again.corpus is not None  # read from the file, not from the store


def test_sql_whitespace_class_is_pythons(tmp_path: Path) -> None:
    text = "".join(f"网{chr(c)}格" for c in range(0x3001) if chr(c).isspace()) + "员 \u3000\n治理"
    with Store(":memory:") as store:
        (got,) = store.con.execute("SELECT regexp_replace(?, ?, '', 'g')", [text, _SQL_BLANK]).fetchone()
    assert got == "".join(text.split())


def test_sql_pattern_finds_a_term_across_any_whitespace() -> None:
    blanks = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    texts = [f"推进网{b}格{b}{b}员" for b in blanks] + ["网格员", "网 格\u3000员", "网-格员", "网格"]
    with Store(":memory:") as store:
        for text in texts:
            (got,) = store.con.execute(
                "SELECT regexp_matches(?, ?)", [text, _re2_spaced("网格员")]
            ).fetchone()
            assert got == ("网格员" in "".join(text.split())), repr(text)


def test_same_file_names_with_other_metadata_do_not_share_a_snapshot(tmp_path: Path) -> None:
    """a/doc.txt and b/doc.txt hold the same text: the same doc_id and text, other paths."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "doc.txt").write_text("推进接诉即办改革。", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        first = _update([str(tmp_path / "a")], store)
        _update([str(tmp_path / "b")], store)  # overwrites the row of doc_id "doc"
        assert not store.has_snapshot(first.snapshot)
        again = _update([str(tmp_path / "a")], store)
        assert again.corpus is not None
        assert again.corpus.documents[0].provenance.path.endswith("a/doc.txt")  # type: ignore[union-attr]


def test_sidecar_beside_a_file_named_on_its_own_is_part_of_the_key(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("推进接诉即办改革。", encoding="utf-8")
    sidecar = tmp_path / "metadata.csv"
    sidecar.write_text("file,date\ndoc.txt,2020-01-01\n", encoding="utf-8")
    cfg = _cfg()
    before = snapshot_key([str(tmp_path / "doc.txt")], cfg)
    sidecar.write_text("file,date\ndoc.txt,2023-05-05\n", encoding="utf-8")
    assert snapshot_key([str(tmp_path / "doc.txt")], cfg) != before
    with Store(tmp_path / "s.duckdb") as store:
        _update([str(tmp_path / "doc.txt")], store)
        sidecar.write_text("file,date\ndoc.txt,2024-06-06\n", encoding="utf-8")
        again = _update([str(tmp_path / "doc.txt")], store)
        assert again.corpus is not None and again.corpus.documents[0].date == "2024-06-06"


def test_a_corpus_with_a_failed_file_is_read_again(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("推进接诉即办改革。", encoding="utf-8")
    (tmp_path / "bad.docx").write_bytes(b"not a zip at all")
    with Store(tmp_path / "s.duckdb") as store:
        first = _update([str(tmp_path)], store)
        assert first.corpus is not None and any(f.status == "failed" for f in first.corpus.files)
        again = _update([str(tmp_path)], store)
        assert again.corpus is not None  # not served from a snapshot that remembers the failure
