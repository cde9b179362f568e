"""A record is the user's: every command keeps its id, never drops it in silence,
says on stderr what it skipped and exits non-zero when nothing was done."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from govtext.ingest import read_corpus

ROOT = Path(__file__).resolve().parents[1]
GOVTEXT = [sys.executable, "-m", "govtext"]
RECORDS = [
    {"id": "r-date", "text": "2026年1月1日"},
    {"id": "r-caption", "text": "图为市民在社区议事厅参加协商。"},
    {"id": "r-party", "text": "坚持党建引领，深化接诉即办改革，推动基层治理。"},
]


def _cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOVTEXT, *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )


@pytest.fixture()
def three(tmp_path: Path) -> Path:
    path = tmp_path / "three.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_records_ingest_keeps_records_cleaning_would_empty(three: Path) -> None:
    corpus = read_corpus([three])
    assert [d.doc_id for d in corpus] == ["r-date", "r-caption", "r-party"]
    kept = {d.doc_id: d for d in corpus}
    # a date line and a photo caption are furniture on a web page, but records of their own here
    assert kept["r-date"].text == "2026年1月1日"
    assert kept["r-caption"].meta.get("cleaning") == "kept_whole"
    assert "cleaning" not in kept["r-party"].meta
    (record,) = corpus.files
    assert record.n_documents == 3 and "2 record(s) kept as given" in record.reason


def test_records_ingest_keeps_the_real_reports_cleaned(provincial_dir: Path) -> None:
    # The provincial CSVs need their page furniture stripped: cleaning still runs there.
    corpus = read_corpus([next(provincial_dir.glob("*江苏*.csv"))])
    (doc,) = corpus.documents
    assert "cleaning" not in doc.meta
    assert "【字号" not in doc.text and "打印" not in doc.text.split("\n")[0]


def test_records_ids_from_a_spreadsheet_column(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("ID,text\n17,推进居民自治。\n17,坚持依法治理。\nx-9,加强社区治理。\n", encoding="utf-8")
    # a repeated id stays recognisable and unique
    assert [d.doc_id for d in read_corpus([path])] == ["17", "17~2", "x-9"]


def test_records_tag_finds_themes_in_kept_records(three: Path) -> None:
    proc = _cli("tag", str(three), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["doc_id"] for r in rows] == ["r-date", "r-caption", "r-party"]
    assert {t["theme"] for t in rows[1]["themes"]} == {"self_governance"}


def test_records_segment_keeps_ids_and_original_characters(three: Path) -> None:
    proc = _cli("segment", str(three), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["doc_id"] for r in rows] == ["r-date", "r-caption", "r-party"]
    assert "，" in rows[2]["tokens"] and "," not in rows[2]["tokens"]  # full-width stays full-width
    assert "".join(rows[2]["tokens"]) == RECORDS[2]["text"]
    assert "normalized" not in rows[2]
    # the kept records are reported, not hidden
    assert "kept as given" in proc.stderr
    norm = [
        json.loads(line)
        for line in _cli("segment", str(three), "--format", "jsonl", "--normalized").stdout.splitlines()
    ]
    assert "," in norm[2]["normalized"] and norm[2]["tokens"] == rows[2]["tokens"]


def test_records_segment_reports_skips_and_fails_when_nothing_read(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "big.txt").write_text("居民自治。" * 420_001, encoding="utf-8")  # over 2,000,000 characters
    proc = _cli("segment", str(folder))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "big.txt" in proc.stderr and "2,000,000-character limit" in proc.stderr
    proc = _cli("segment", str(tmp_path / "nonexistent"))
    assert proc.returncode == 1 and "no such file or directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_records_segment_refuses_a_folder_as_output(three: Path, tmp_path: Path) -> None:
    proc = _cli("segment", str(three), "-o", str(tmp_path))
    assert proc.returncode == 1 and "is a folder" in proc.stderr and "Traceback" not in proc.stderr


def test_records_run_on_a_missing_path_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = _cli("run", str(tmp_path / "big-folder"), "--out", str(out), "--quiet")
    assert proc.returncode == 1
    assert "big-folder: no such file or directory" in proc.stderr and "see the manifest" not in proc.stderr
    assert not out.exists()


def test_records_run_failure_keeps_an_earlier_report(tmp_path: Path, three: Path) -> None:
    out = tmp_path / "report"
    assert _cli("run", str(three), "--out", str(out), "--quiet").returncode == 0
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    proc = _cli("run", str(tmp_path / "nope"), "--out", str(out), "--quiet")
    assert proc.returncode == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before


def test_records_tag_streams_stdin_and_skips_bad_lines() -> None:
    proc = subprocess.Popen(
        [*GOVTEXT, "tag", "-", "--format", "jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        proc.stdin.write(json.dumps({"id": "s1", "text": "推进居民自治。"}, ensure_ascii=False) + "\n")
        proc.stdin.write("{this is not json\n")
        proc.stdin.flush()
        # the first document comes out while stdin is still open: tag streams
        first = json.loads(proc.stdout.readline())
        assert first["doc_id"] == "s1"
        proc.stdin.write(json.dumps({"id": "s3", "text": "坚持党建引领。"}, ensure_ascii=False) + "\n")
        proc.stdin.close()
        rest = [json.loads(line) for line in proc.stdout.read().splitlines()]
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 1  # the bad line makes the exit non-zero, at the end
    finally:
        proc.kill()
    assert [r["doc_id"] for r in rest] == ["s3"]
    assert re.search(r"<stdin>:2: not a JSON object", err) and "Traceback" not in err


def test_records_kwic_reports_unreadable_inputs(three: Path, tmp_path: Path) -> None:
    proc = _cli("kwic", "党建引领", str(three), str(tmp_path / "missing.txt"))
    assert proc.returncode == 1
    assert "missing.txt: no such file or folder" in proc.stderr
    assert "r-party" in proc.stdout  # the readable file is still searched


def test_records_readme_tour_writes_under_reports() -> None:
    # The tour's redirects and --out folders stay under reports/ (git-ignored), never the repo root.
    tour = (ROOT / "README.md").read_text(encoding="utf-8")
    section = tour.split("## A short tour")[1].split("\n## ")[0]
    code = "\n".join(re.findall(r"```bash\n(.*?)```", section, re.S))
    targets = re.findall(r"(?:>|--out|-o)\s+(\S+)", code)
    assert targets, "the tour writes no file?"
    for target in targets:
        assert target.startswith("reports/"), target
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "reports/" in ignored or "/reports" in ignored
