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
