"""Large JSON Lines, CSV and TSV files read in parts give what reading them whole gives.

Small ``part_bytes`` make the real files cut into many parts: the national reports
(JSON Lines, 72 records), and the 21 provincial reports joined into one CSV at test time
(each row a whole report, its text a quoted field full of line breaks and quotes), in
UTF-8 and GB18030. Documents must equal a whole-file read field by field, ids included;
the manifest line differs only by its note on the parts. Generated records check the
cuts: JSON Lines texts with quotes, CR, U+2028 and U+0085; CSV lines with quoted line
breaks and stray quotes in unquoted fields. Files that cannot be cut safely (a first
record over a megabyte, bytes after the head that do not decode) are read whole.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.documents import Corpus, FileRecord
from govtext.engine import Engine, EngineConfig
from govtext.ingest import iter_corpus, read_corpus
from govtext.ingest.parts import merge_notes, plan_parts
from govtext.ingest.tables import bad_lines_note, delimited_rows, json_lines

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


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_provincial_csv_in_parts_equals_whole(provincial_csv: Path, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "provinces.csv"
    path.write_bytes(provincial_csv.read_text(encoding="utf-8").encode(encoding))
    plan = plan_parts(path, ".csv", part_bytes=50_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) >= 10 and plan.text_column == "full_text"
    assert plan.header.rstrip(b"\r\n").endswith(b"full_text")
    _same(read_corpus([path], part_bytes=50_000), read_corpus([path], part_bytes=WHOLE))


def test_csv_with_stray_quotes_and_quoted_line_breaks_in_parts_equals_whole(tmp_path: Path) -> None:
    # A quote inside an unquoted field is plain text to the csv module; counting quotes
    # would take it for an opening one and cut inside the quoted field that follows.
    lines = ["id\tname\ttext\r\n"]
    for i in range(3000):
        lines.append(f'{i}\t5" 屏幕\t"第{i}条：居民议事会讨论""停车""。\n第二段，仍在引号里。"\r\n')
        lines.append(f"{i}b\t普通\t社区治理的第{i}条记录，没有引号。\r\n")
    path = tmp_path / "stray.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    plan = plan_parts(path, ".tsv", part_bytes=20_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) > 10
    parted, whole = read_corpus([path], part_bytes=20_000), read_corpus([path], part_bytes=WHOLE)
    _same(parted, whole)
    assert len(whole) == 6000 and "第二段" in whole.documents[0].text


def test_national_jsonl_in_parts_equals_whole(national_file: Path) -> None:
    whole = read_corpus([national_file], part_bytes=WHOLE)
    parted = read_corpus([national_file], part_bytes=100_000)
    assert "parts" in parted.files[0].reason
    plan = plan_parts(national_file, ".jsonl", part_bytes=100_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) > 10
    _same(parted, whole)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_national_jsonl_in_gb18030_in_parts_equals_whole(
    national_file: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "national.jsonl"
    path.write_bytes(national_file.read_text(encoding="utf-8").encode(encoding))
    plan = plan_parts(path, ".jsonl", part_bytes=80_000, encoding=None, text_column=None)
    assert plan is not None and len(plan.parts) >= 10 and plan.encoding == encoding
    _same(read_corpus([path], part_bytes=80_000), read_corpus([path], part_bytes=WHOLE))


def test_files_that_cannot_be_cut_safely_are_read_whole(
    national_file: Path, tmp_path: Path, provincial_dir: Path
) -> None:
    records = [json.loads(line) for line in national_file.read_text(encoding="utf-8").splitlines()]
    # a first record over a megabyte: the head holds no whole record
    big = tmp_path / "big_first.jsonl"
    first = {**records[0], "content": records[0]["content"] * (1_100_000 // len(records[0]["content"]) + 1)}
    big.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [first, *records]) + "\n", encoding="utf-8"
    )
    # a head in plain ASCII and GB18030 after it: the head's encoding would not hold
    mixed = tmp_path / "mixed.jsonl"
    ascii_head = [json.dumps({"content": f"record {i} " + "x" * 200}) for i in range(6000)]
    rest = [json.dumps(r, ensure_ascii=False) for r in records]
    mixed.write_bytes(("\n".join(ascii_head) + "\n").encode() + ("\n".join(rest) + "\n").encode("gb18030"))
    for path in (big, mixed):
        assert plan_parts(path, path.suffix, part_bytes=100_000, encoding=None, text_column=None) is None
        parted, whole = read_corpus([path], part_bytes=100_000), read_corpus([path], part_bytes=WHOLE)
        assert parted.files == whole.files and parted.documents == whole.documents
    assert read_corpus([mixed]).files[0].encoding == "gb18030"


def _counting_map(eng: Engine, sent: list[object]) -> Any:
    """``eng.map`` one task per batch, recording the tasks it is given."""

    def read_map(fn: object, tasks: Iterator[object]) -> Iterator[object]:
        def counted() -> Iterator[object]:
            for t in tasks:
                sent.append(t)
                yield t

        return eng.map(fn, counted(), batch_size=1, in_flight=1)  # type: ignore[arg-type]

    return read_map


@pytest.mark.parametrize("which", ["jsonl", "csv"])
def test_parts_read_in_engine_workers_equal_parts_read_here(
    national_file: Path, provincial_csv: Path, which: str
) -> None:
    path = national_file if which == "jsonl" else provincial_csv
    here = read_corpus([path], part_bytes=60_000)
    with Engine(EngineConfig(workers=2)).start() as eng:
        for ship in (False, True):
            manifest: list[FileRecord] = []
            sent: list[object] = []
            read_map = _counting_map(eng, sent)
            docs = list(
                iter_corpus(
                    [path],
                    manifest=manifest,
                    part_bytes=60_000,
                    read_map=read_map,
                    ship_bytes=ship,
                )
            )
            assert len(sent) >= 10  # one file, many parts: read in the workers
            assert manifest == here.files
            assert docs == here.documents


def test_a_part_that_fails_leaves_the_file_failed_with_the_other_parts_kept(
    national_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import govtext.ingest.tasks as tasks

    real = tasks.read_part

    def flaky(path: Path, part: Any) -> bytes:
        if part.first_line > 1 and part.start < 300_000 <= part.end:
            raise OSError(5, "Input/output error")
        return real(path, part)

    monkeypatch.setattr(tasks, "read_part", flaky)
    corpus = read_corpus([national_file], part_bytes=100_000)
    (record,) = corpus.files
    assert (
        record.status == "failed"
        and "was not read" in record.reason
        and "Input/output error" in record.reason
    )
    assert 0 < record.n_documents == len(corpus) < 72


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


_TEXT = st.text(
    alphabet=st.sampled_from(list('治理"\\\r\u2028\u0085 议事a\U0001f600，')), min_size=1, max_size=30
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=60), st.integers(1, 400))
def test_jsonl_cuts_fall_between_records(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], part: int
) -> None:
    data = "".join(json.dumps({"text": "社区" + t}, ensure_ascii=False) + "\n" for t in texts).encode("utf-8")
    path = tmp_path_factory.mktemp("gen") / "g.jsonl"
    path.write_bytes(data)
    plan = plan_parts(path, ".jsonl", part_bytes=part, encoding=None, text_column="text")
    if plan is None:
        return  # too small to cut, or no line break past the first target: read whole
    parts = plan.parts
    assert parts[0].start == 0 and parts[-1].end == len(data)
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    got = []
    for p in parts:
        assert data[p.end - 1 : p.end] == b"\n"
        got.extend(json_lines(data[p.start : p.end].decode("utf-8"), p.first_line)[0])
        assert p.first_line == 1 + data.count(b"\n", 0, p.start)
    assert got == [{"text": "社区" + t} for t in texts]


_FIELD = st.text(alphabet=st.sampled_from(list('治理"，,\t\n\r 议事a')), max_size=10)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(_FIELD, min_size=2, max_size=2), min_size=1, max_size=40),
    st.booleans(),
    st.integers(1, 80),
)
def test_csv_cuts_fall_where_the_csv_module_ends_a_record(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], raw: bool, part: int
) -> None:
    """Rows written by csv.writer, or joined raw (stray quotes, bare CR and tabs left as
    they are): the rows of the parts, each read after the header, are the file's rows."""
    if raw:
        text = "title,text\n" + "".join(",".join(r).replace("\n", " ") + "\n" for r in rows)
    else:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(["title", "text"])
        writer.writerows(rows)
        text = buf.getvalue()
    data = text.encode("utf-8")
    path = tmp_path_factory.mktemp("gen") / "g.csv"
    path.write_bytes(data)
    plan = plan_parts(path, ".csv", part_bytes=part, encoding=None, text_column="text")
    if plan is None:
        return  # read whole, by the rules for any file
    whole = delimited_rows(text, ",")[1]
    got: list[dict[str, str]] = []
    for p in plan.parts:
        chunk = data[p.start : p.end]
        got.extend(delimited_rows((chunk if p.start == 0 else plan.header + chunk).decode("utf-8"), ",")[1])
    assert got == whole


def test_a_line_with_a_huge_number_is_kept(tmp_path: Path) -> None:
    # Python refuses ints over 4,300 digits; the record is the user's, so the number is kept as text.
    path = tmp_path / "numbers.jsonl"
    path.write_text(
        '{"text": "社区议事会讨论停车"}\n{"text": "居民自治", "n": '
        + "9" * 5000
        + '}\n{"text": "居民议事"}\n',
        encoding="utf-8",
    )
    corpus = read_corpus([path])
    assert len(corpus) == 3 and "cannot be read" not in corpus.files[0].reason
    assert corpus.documents[1].meta["n"] == "9" * 5000


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


def test_no_part_is_held_over_the_size_limit(tmp_path: Path) -> None:
    """A record longer than max_file_size (one huge line; a quote never closed) makes
    the file one for the whole-file rules, which skip it as over the limit."""
    line = json.dumps({"text": "社区议事会讨论停车问题。" * 10}, ensure_ascii=False) + "\n"
    huge = json.dumps({"text": "治理" * 60_000}, ensure_ascii=False) + "\n"
    jsonl = tmp_path / "huge_line.jsonl"
    jsonl.write_text(line * 2000 + huge + line * 2000, encoding="utf-8")
    table = tmp_path / "unclosed.csv"
    table.write_text(
        "id,text\n"
        + "".join(f'{i},"第{i}条记录，内容足够长，社区治理。"\n' for i in range(5000))
        + '9,"never closed\n'
        + "续行\n" * 60_000,
        encoding="utf-8",
    )
    for path in (jsonl, table):
        assert (
            plan_parts(
                path, path.suffix, part_bytes=50_000, encoding=None, text_column=None, max_part=200_000
            )
            is None
        )
        (record,) = read_corpus([path], part_bytes=50_000, max_file_size=200_000).files
        assert record.status == "skipped" and "limit" in record.reason


def test_the_text_column_is_picked_from_every_row_not_the_head(tmp_path: Path) -> None:
    # 'text' is empty for the first megabyte and a half; a head-only pick would take
    # 'abstract', the whole-file read takes 'text' (a conventional name with values).
    rows = [
        {"abstract": f"摘要{i}：社区治理的一条摘要，写得足够长以便被当作正文。", "text": ""}
        for i in range(20_000)
    ]
    rows += [{"abstract": f"摘要{i}", "text": f"正文{i}：居民议事会讨论停车和绿化。"} for i in range(20_000)]
    table = tmp_path / "late.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["abstract", "text"])
        writer.writeheader()
        writer.writerows(rows)
    lines = tmp_path / "late.jsonl"
    lines.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if v}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )
    for path in (table, lines):
        plan = plan_parts(path, path.suffix, part_bytes=200_000, encoding=None, text_column=None)
        assert plan is not None and plan.text_column == "text"
        parted, whole = read_corpus([path], part_bytes=200_000), read_corpus([path], part_bytes=WHOLE)
        _same(parted, whole)
        assert len(whole) == 20_000 and "row(s) with no text" in whole.files[0].reason


def test_a_part_without_the_text_key_or_with_only_bad_lines_is_rows_without_text(tmp_path: Path) -> None:
    good = [
        json.dumps({"content": f"第{i}条：社区议事会讨论停车问题。"}, ensure_ascii=False) for i in range(3000)
    ]
    other = [json.dumps({"title": f"无正文{i}"}, ensure_ascii=False) for i in range(3000)]
    bad = ['{"content": "cut off' for _ in range(3000)]
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n".join(good + other + bad + good) + "\n", encoding="utf-8")
    parted, whole = read_corpus([path], part_bytes=40_000), read_corpus([path], part_bytes=WHOLE)
    assert parted.files[0].status == whole.files[0].status == "read"
    assert [d.doc_id for d in parted] == [d.doc_id for d in whole] and parted.documents == whole.documents
    assert "3000 row(s) with no text in column 'content' skipped" in parted.files[0].reason


def test_whole_jsonl_with_carriage_returns_only_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old_mac.jsonl"
    path.write_bytes(
        b'{"text": "\xe7\xa4\xbe\xe5\x8c\xba\xe8\xae\xae\xe4\xba\x8b"}\r{"text": "\xe5\xb1\x85\xe6\xb0\x91"}\r'
    )
    corpus = read_corpus([path])
    assert corpus.files[0].status == "read" and len(corpus) == 2


# -- a file read in parts says what the same file read whole says -----------------------


def _national(national_file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in national_file.read_text(encoding="utf-8").splitlines()]


def _write_jsonl(
    path: Path, records: list[dict[str, Any]], *, end: str = "\n", encoding: str = "utf-8"
) -> Path:
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + end for r in records).encode(encoding))
    return path


def test_a_file_in_parts_with_one_record_keeps_the_plain_id(national_file: Path, tmp_path: Path) -> None:
    # Ids are numbered only when a file holds more than one record; a file read in parts
    # learns that from its parts, so here one record of 72 is held back until the end.
    records = [
        {**r, "content": r["content"] if i == 40 else ""} for i, r in enumerate(_national(national_file))
    ]
    path = _write_jsonl(tmp_path / "one.jsonl", records)
    parted, whole = read_corpus([path], part_bytes=2_000), read_corpus([path], part_bytes=WHOLE)
    assert [d.doc_id for d in parted] == ["one"]
    _same(parted, whole)


def test_the_exact_column_name_wins_over_another_spelling(national_file: Path, tmp_path: Path) -> None:
    # 'content' holds a label and 'CONTENT' the report: a whole read takes CONTENT, and
    # each part, told to read CONTENT, must not take 'content' for it.
    records = [
        {"content": f"标签{i}", "year": r["year"], "CONTENT": r["content"]}
        for i, r in enumerate(_national(national_file))
    ]
    path = _write_jsonl(tmp_path / "cased.jsonl", records)
    parted, whole = read_corpus([path], part_bytes=100_000), read_corpus([path], part_bytes=WHOLE)
    first = whole.documents[0]
    assert first.meta["content"] == "标签0" and len(first.text) > 1000
    _same(parted, whole)


def test_a_byte_order_mark_inside_the_file_is_not_stripped_at_a_part_start(
    national_file: Path, tmp_path: Path
) -> None:
    # Two exports, each with a BOM, joined with cat: the second BOM damages its line in
    # a whole read, and must do so where a part starts there too.
    half = _write_jsonl(
        tmp_path / "half.jsonl", _national(national_file)[:36], encoding="utf-8-sig"
    ).read_bytes()
    path = tmp_path / "joined.jsonl"
    path.write_bytes(half + half)
    plan = plan_parts(path, ".jsonl", part_bytes=len(half) - 1, encoding=None, text_column=None)
    assert plan is not None and plan.parts[1].start == len(half)
    parted, whole = read_corpus([path], part_bytes=len(half) - 1), read_corpus([path], part_bytes=WHOLE)
    assert len(whole) == 71 and "line 37 is not valid JSON" in whole.files[0].reason
    _same(parted, whole)


def test_a_file_in_parts_without_documents_gives_the_whole_reads_reason(
    national_file: Path, tmp_path: Path
) -> None:
    records = [{**r, "content": ""} for r in _national(national_file)]
    path = _write_jsonl(tmp_path / "empty.jsonl", records)
    # named: left to itself, ingest would take the title for the text
    parted = read_corpus([path], part_bytes=1_000, text_column="content")
    whole = read_corpus([path], part_bytes=WHOLE, text_column="content")
    (p,), (w,) = parted.files, whole.files
    assert (p.status, p.reason, p.encoding) == (w.status, w.reason, w.encoding)
    assert (w.status, w.reason) == ("skipped", "no row has text in column 'content'")


def test_bad_lines_of_several_parts_make_one_note_counted_from_a_bare_cr(
    national_file: Path, tmp_path: Path
) -> None:
    # A bare CR ends the first line (as json_lines counts lines); damaged lines fall in
    # several parts: one note, its line number and count as a whole read gives them.
    lines = [json.dumps(r, ensure_ascii=False) for r in _national(national_file)]
    for k in (10, 30, 50, 70):
        lines[k] = lines[k][:200]
    path = tmp_path / "damaged.jsonl"
    path.write_bytes((lines[0] + "\r" + "\n".join(lines[1:]) + "\n").encode("utf-8"))
    parted, whole = read_corpus([path], part_bytes=100_000), read_corpus([path], part_bytes=WHOLE)
    assert (
        whole.files[0].reason.startswith("line 11 is not valid JSON")
        and "(and 3 more)" in whole.files[0].reason
    )
    _same(parted, whole)


def test_a_forced_encoding_is_named_as_the_user_spelled_it(national_file: Path, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "gb.jsonl", _national(national_file), encoding="gb18030")
    parted = read_corpus([path], part_bytes=100_000, encoding="GB18030")
    whole = read_corpus([path], part_bytes=WHOLE, encoding="GB18030")
    assert whole.files[0].encoding == "GB18030"
    _same(parted, whole)


def test_merge_notes_makes_the_parts_bad_lines_one_note_ahead_of_the_row_notes() -> None:
    notes = [
        "2 row(s) with no text in column 'text' skipped",  # the first part: no bad line
        bad_lines_note("line 7 is not valid JSON (Expecting value at column 1)", 0),
        "1 row(s) with no text in column 'text' skipped",
        bad_lines_note("line 90 is not valid JSON (Extra data at column 3)", 2),
    ]
    assert merge_notes(notes) == [
        "line 7 is not valid JSON (Expecting value at column 1) (and 3 more); skipped, the other lines read",
        "3 row(s) with no text in column 'text' skipped",
    ]
