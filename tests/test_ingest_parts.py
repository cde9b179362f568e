"""Large JSON Lines, CSV and TSV files read in parts give what reading them whole gives.

Small ``part_bytes`` make the real files cut into many parts: the national reports
(JSON Lines, 72 records), and the 21 provincial reports joined into one CSV at test time
(each row a whole report, its text a quoted field full of line breaks and quotes), in
UTF-8 and in GB18030. Documents must equal a whole-file read field by field, ids
included; the manifest line differs only by its note on the parts. Generated CSV text
checks that every cut falls between records, wherever quotes and line breaks sit.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.documents import Corpus, FileRecord
from govtext.engine import Engine, EngineConfig
from govtext.ingest import iter_corpus, read_corpus
from govtext.ingest.parts import _boundaries, merge_notes, plan_parts
from govtext.ingest.tables import delimited_rows

WHOLE = 1 << 40  # no file is this big: read whole


def _same(parted: Corpus, whole: Corpus) -> None:
    assert [d.doc_id for d in parted] == [d.doc_id for d in whole]
    for a, b in zip(parted, whole, strict=True):
        assert a == b, a.doc_id
    (p,), (w,) = parted.files, whole.files
    assert (p.path, p.status, p.n_documents, p.encoding, p.format) == (
        w.path,
        w.status,
        w.n_documents,
        w.encoding,
        w.format,
    )
    assert "parts" in p.reason and p.reason.startswith(w.reason)


@pytest.fixture(scope="module")
def provincial_csv(tmp_path_factory: pytest.TempPathFactory, provincial_dir: Path) -> Path:
    """The provincial reports as one CSV (built here, never committed)."""
    rows: list[dict[str, str]] = []
    for f in sorted(provincial_dir.glob("*.csv")):
        rows.extend(csv.DictReader(io.StringIO(f.read_text(encoding="utf-8-sig"), newline="")))
    out = tmp_path_factory.mktemp("joined") / "provinces.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_national_jsonl_in_parts_equals_whole(national_file: Path) -> None:
    whole = read_corpus([national_file], part_bytes=WHOLE)
    parted = read_corpus([national_file], part_bytes=100_000)
    assert "parts" in parted.files[0].reason
    plan = plan_parts(national_file, ".jsonl", part_bytes=100_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) > 10
    _same(parted, whole)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_provincial_csv_in_parts_equals_whole(provincial_csv: Path, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "provinces.csv"
    path.write_bytes(provincial_csv.read_text(encoding="utf-8").encode(encoding))
    plan = plan_parts(path, ".csv", part_bytes=50_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) >= 10 and plan.text_column == "full_text"
    _same(read_corpus([path], part_bytes=50_000), read_corpus([path], part_bytes=WHOLE))


def test_parts_read_in_engine_workers_equal_parts_read_here(
    provincial_csv: Path, national_file: Path
) -> None:
    paths = [str(provincial_csv), str(national_file)]
    here = read_corpus(paths, part_bytes=60_000)
    with Engine(EngineConfig(workers=2)).start() as eng:
        for ship in (False, True):
            manifest: list[FileRecord] = []
            docs = list(
                iter_corpus(
                    paths,
                    manifest=manifest,
                    part_bytes=60_000,
                    read_map=functools.partial(eng.map, batch_size=1, in_flight=1),
                    ship_bytes=ship,
                )
            )
            assert manifest == here.files
            assert docs == here.documents


def test_a_damaged_line_in_a_later_part_is_named_by_its_line_in_the_file(
    national_file: Path, tmp_path: Path
) -> None:
    lines = national_file.read_bytes().splitlines(keepends=True)
    lines.insert(60, b'{"content": "\xe6\xb2\xbb\xe7\x90\x86", \n')  # line 61, cut off mid-record
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(b"".join(lines))
    corpus = read_corpus([path], part_bytes=100_000)
    (record,) = corpus.files
    assert record.status == "read" and record.n_documents == 72
    assert "line 61 is not valid JSON" in record.reason


def test_a_large_table_file_is_read_past_the_size_limit(national_file: Path) -> None:
    corpus = read_corpus([national_file], max_file_size=1_000_000, part_bytes=500_000)
    assert corpus.files[0].status == "read" and len(corpus) == 72
    assert read_corpus([national_file], max_file_size=1_000_000).files[0].status == "skipped"


_CELL = st.text(alphabet=st.sampled_from(list('治理"，,\n\r 议事a')), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=40), st.integers(1, 60))
def test_csv_cuts_fall_between_records(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]], part: int
) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["title", "text"])
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("gen") / "g.csv"
    path.write_bytes(data)
    parts = _boundaries(path, len(data), part, quoted=True)
    assert parts[0].start == 0 and parts[-1].end == len(data)
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    header = b"title,text\r\n"  # csv.writer ends its lines with CRLF
    got: list[dict[str, str]] = []
    for p in parts:
        chunk = data[p.start : p.end]
        got.extend(delimited_rows((chunk if p.start == 0 else header + chunk).decode("utf-8"), ",")[1])
    assert got == delimited_rows(data.decode("utf-8"), ",")[1]
    for p in parts:  # line numbers count the line breaks before each part
        assert p.first_line == 1 + data.count(b"\n", 0, p.start)


def test_merge_notes_sums_counted_notes_and_keeps_the_rest_once() -> None:
    notes = [
        "2 row(s) with no text in column 'text' skipped",
        "line 5 is bad",
        "3 row(s) with no text in column 'text' skipped",
        "line 5 is bad",
    ]
    assert merge_notes(notes) == ["5 row(s) with no text in column 'text' skipped", "line 5 is bad"]


def test_jsonl_records_are_numbered_across_parts(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": f"第{i}条记录：社区议事会讨论停车问题。"}, ensure_ascii=False) + "\n"
            for i in range(500)
        ),
        encoding="utf-8",
    )
    parted = read_corpus([path], part_bytes=2_000)
    assert [d.doc_id for d in parted] == [f"many#{i + 1}" for i in range(500)]
    assert [d.provenance.position for d in parted if d.provenance] == list(range(500))
