"""Files read in an engine's workers give what reading them here gives.

``iter_corpus(read_map=...)`` reads each file in a worker (one file per task) and
computes the duplicate fingerprints there; ids, duplicate flags and the manifest are
decided in the calling process in corpus order. These tests hold the documents and the
manifest equal, field by field, to an in-process read, on the real corpora, on the
bad-input folder (every skip and failure reason), with the files' bytes shipped (as for
Dask workers on other machines), and with a Dask LocalCluster.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from badinputs import build
from conftest import SAMPLE_CORPUS
from test_ingest_parts import _counting_map

from govtext.documents import Corpus, FileRecord
from govtext.engine import Engine, EngineConfig
from govtext.ingest import iter_corpus, read_corpus
from govtext.ingest.core import ReadOutcome, ReadTask, read_files
from govtext.ingest.walk import to_read, walk


def _read(paths: list[str], engine: Engine, *, ship_bytes: bool = False) -> Corpus:
    """The corpus read through ``engine``; checks every file went out to it."""
    manifest: list[FileRecord] = []
    sent: list[object] = []
    read_map = _counting_map(engine, sent)
    docs = list(iter_corpus(paths, manifest=manifest, read_map=read_map, ship_bytes=ship_bytes))
    assert len(sent) == sum(map(to_read, walk(paths, True))) > 1
    if ship_bytes:
        assert all(isinstance(t, ReadOutcome) or t.data is not None for t in sent)  # type: ignore[attr-defined]
    return Corpus(documents=docs, files=manifest)


def _assert_same(got: Corpus, want: Corpus) -> None:
    assert got.files == want.files
    assert [d.doc_id for d in got.documents] == [d.doc_id for d in want.documents]
    for a, b in zip(got.documents, want.documents, strict=True):
        assert a == b, a.doc_id


@pytest.fixture(scope="module")
def local_engine() -> Iterator[Engine]:
    with Engine(EngineConfig(engine="local", workers=2)).start() as eng:
        yield eng


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory: pytest.TempPathFactory, shared_corpus: Path) -> Path:
    """The bad inputs beside real files: the provincial reports, the seed page, and a
    copy of a report (an exact duplicate, flagged only if fingerprints travel right)."""
    root = tmp_path_factory.mktemp("mixed")
    build(root / "bad", single_line=False)
    shutil.copytree(shared_corpus / "provincial-reports-2026", root / "provincial")
    first = sorted((root / "provincial").iterdir())[0]
    shutil.copy(first, root / "provincial" / f"zz-copy-of-{first.name}")
    shutil.copy(next((shared_corpus / "seed").glob("*.txt")), root / "seed.txt")
    return root


@pytest.mark.parametrize("ship_bytes", [False, True])
def test_ingest_in_workers_equals_in_process_on_real_and_bad_files(
    local_engine: Engine, mixed_folder: Path, ship_bytes: bool
) -> None:
    want = read_corpus([mixed_folder])
    assert {f.status for f in want.files} == {"read", "skipped", "failed"}
    assert any(d.meta.get("duplicate_kind") == "exact" for d in want.documents)
    _assert_same(_read([str(mixed_folder)], local_engine, ship_bytes=ship_bytes), want)


def test_ingest_in_workers_equals_in_process_on_the_national_file_and_sample(
    local_engine: Engine, national_file: Path
) -> None:
    paths = [str(SAMPLE_CORPUS), str(national_file), str(national_file)]  # the file twice: all duplicates
    want = read_corpus(paths)
    assert sum(d.meta.get("duplicate_kind") == "exact" for d in want.documents) >= 2
    _assert_same(_read(paths, local_engine), want)


def test_read_files_passes_an_outcome_decided_before_reading(tmp_path: Path) -> None:
    from govtext.ingest.core import IngestOptions
    from govtext.ingest.tasks import _shipped

    big = tmp_path / "big.txt"
    big.write_text("治理" * 600, encoding="utf-8")
    (item,) = walk([big], True)
    refused = _shipped(item, IngestOptions(max_file_size=1000))
    assert isinstance(refused, ReadOutcome) and refused.status == "skipped" and "limit" in refused.reason
    shipped = _shipped(item, IngestOptions())
    assert isinstance(shipped, ReadTask) and shipped.data == big.read_bytes()
    (out_refused, out_read) = read_files([refused, shipped])
    assert out_refused is refused
    assert out_read.status == "read" and out_read.result is not None
    assert out_read.result.docs[0].text == "治理" * 600
    assert out_read.fingerprints is not None and len(out_read.fingerprints) == 1


def test_ingest_in_dask_workers_equals_in_process(mixed_folder: Path) -> None:
    pytest.importorskip("distributed")
    want = read_corpus([mixed_folder / "provincial", mixed_folder / "bad"])
    with Engine(EngineConfig(engine="dask", workers=2)) as eng:
        for ship in (False, True):  # a LocalCluster opens the paths; a remote one gets bytes
            got = _read([str(mixed_folder / "provincial"), str(mixed_folder / "bad")], eng, ship_bytes=ship)
            _assert_same(got, want)


def test_read_ahead_of_a_large_first_workbook_keeps_corpus_order(
    local_engine: Engine, shared_corpus: Path
) -> None:
    # The citizen messages' workbooks come first and take longest to read; the run's
    # reader lets the other worker read the files after them meanwhile (the engine's
    # buffer_bytes, sized by each task's nbytes). Documents and manifest are still those
    # of a read in this process, in corpus order.
    from govtext.ingest.options import IngestOptions
    from govtext.reuse import READ_AHEAD_BYTES, iter_read

    paths = [
        str(shared_corpus / "citizen-messages" / "full_dataset_sheet_4.xlsx"),
        str(shared_corpus / "jiangsu-cppcc-2022"),
        str(shared_corpus / "provincial-reports-2026"),
        str(shared_corpus / "seed"),
    ]
    tasks = [ReadTask(item, IngestOptions()) for item in walk(paths, True) if to_read(item)]
    assert [t.nbytes for t in tasks] == [t.item.path.stat().st_size for t in tasks]  # type: ignore[union-attr]
    assert sum(t.nbytes for t in tasks[1:]) < READ_AHEAD_BYTES  # all may be read ahead
    manifest: list[FileRecord] = []
    got = Corpus(documents=list(iter_read(paths, IngestOptions(), manifest, local_engine)), files=manifest)
    _assert_same(got, read_corpus(paths))


def test_read_task_nbytes_counts_a_part_or_the_shipped_bytes(tmp_path: Path) -> None:
    from govtext.ingest.core import IngestOptions
    from govtext.ingest.parts import Part, Plan

    path = tmp_path / "a.txt"
    path.write_text("治理" * 100, encoding="utf-8")
    (item,) = walk([path], True)
    assert ReadTask(item, IngestOptions()).nbytes == 600
    assert ReadTask(item, IngestOptions(), b"xyz").nbytes == 3
    plan = Plan(parts=(Part(0, 240, 1), Part(240, 600, 2)), encoding="utf-8", text_column="")
    assert ReadTask(item, IngestOptions(), part=plan.parts[1], plan=plan).nbytes == 360
    path.unlink()
    assert ReadTask(item, IngestOptions()).nbytes == 0  # the reader says what is wrong
