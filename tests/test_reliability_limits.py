"""Hostile input ends the same way every time: bounded time, bounded memory, one line that
says what is wrong and where, and every good document around it kept.

Each case runs the real command in a subprocess under a time limit and an address-space
limit, beside good records, and asserts: no traceback, a non-zero exit only with a
one-line message, every good record present in the output.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = {
    "good-a": "坚持党建引领，深化接诉即办改革。",
    "good-b": "推进村民自治，完善基层治理体系。",
    "good-c": "坚持依法行政，建设法治政府。",
}
MEMORY_LIMIT = 3 * 1024**3  # address space: jieba, numpy and DuckDB map well over 1 GB before any work
TIME_LIMIT = 60


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def govtext(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "govtext", *args],
        input=stdin,
        capture_output=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limits,
        cwd=cwd,
        check=False,
    )
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    if proc.returncode != 0:
        lines = [line for line in err.splitlines() if "error" in line.lower()]
        assert lines, f"exit {proc.returncode} without an error line: {err[-2000:]}"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def write_good(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in GOOD.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def ingested(folder: Path, *extra: str) -> tuple[dict, subprocess.CompletedProcess[str]]:
    proc = govtext("ingest", str(folder), "--json", *extra)
    data = json.loads(proc.stdout)
    ids = {d["id"] for d in data["documents"]}
    assert set(GOOD) <= ids, f"good records lost: {set(GOOD) - ids}"
    return data, proc


def _files(data: dict) -> dict[str, dict]:
    return {Path(f["path"]).name: f for f in data["files"]}


# --------------------------------------------------------------------------- front matter
def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["---", "a0: &a0 [" + ",".join(["x"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join([*lines, "title: 炸弹", "---", "炸弹之后的正文：推进居民自治。", ""])


FRONT_MATTER: dict[str, str] = {
    "alias-bomb.md": _alias_bomb(),
    "alias-small.md": "---\nbase: &b {x: 1}\nother: *b\n---\n正文：推进居民自治。\n",
    "unclosed-list.md": "---\ntitle: [unclosed\n---\n正文：推进居民自治。\n",
    "tab-indent.md": "---\ntitle: x\n\tbad: y\n---\n正文：推进居民自治。\n",
    "deep-nesting.md": "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n正文：推进居民自治。\n",
    "huge-front.md": "---\n"
    + "".join(f"k{i}: {'值' * 40}\n" for i in range(3000))
    + "---\n正文：推进居民自治。\n",
    "python-tag.md": "---\nx: !!python/object/apply:os.system ['echo pwned']\n---\n正文：推进居民自治。\n",
}


@pytest.mark.parametrize("name", sorted(FRONT_MATTER))
def test_reliability_front_matter_costs_its_fields_never_the_text(tmp_path: Path, name: str) -> None:
    write_good(tmp_path / "in")
    (tmp_path / "in" / name).write_text(FRONT_MATTER[name], encoding="utf-8")
    data, proc = ingested(tmp_path / "in")
    record = _files(data)[name]
    assert record["status"] == "read" and record["n_documents"] == 1, record
    assert "front matter" in record["reason"], record
    doc = next(d for d in data["documents"] if d["id"] == Path(name).stem)
    assert "炸弹" not in doc.get("title", "")
    assert proc.returncode == 0


def test_reliability_alias_bomb_in_a_run(tmp_path: Path) -> None:
    write_good(tmp_path / "in")
    (tmp_path / "in" / "bomb.md").write_text(_alias_bomb(), encoding="utf-8")
    pipeline = tmp_path / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['csv']\n", encoding="utf-8")
    proc = govtext("run", str(pipeline), str(tmp_path / "in"), "--out", str(tmp_path / "out"), "-q")
    assert proc.returncode == 0
    docs = (tmp_path / "out" / "tables" / "documents.csv").read_text(encoding="utf-8-sig")
    assert all(doc_id in docs for doc_id in [*GOOD, "bomb"])


# --------------------------------------------------------------------------- folders
def _remove_deep(top: Path) -> None:
    """Remove a deep tree without recursion (shutil.rmtree, and so pytest's own clean-up
    of old temporary folders, recurses once per level and fails at about 1,000)."""
    stack = [top]
    while stack:
        here = stack[-1]
        subdirs = []
        for entry in os.scandir(here):
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(Path(entry.path))
            else:
                os.unlink(entry.path)
        if subdirs:
            stack.extend(subdirs)
        else:
            here.rmdir()
            stack.pop()


def test_reliability_deep_folder_is_read_to_the_limit(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write_good(root)
    here = root
    try:
        for _ in range(1000):  # a bad unzip or a copy loop
            here = here / "d"
            here.mkdir()
        (root / "d" / "d" / "shallow.txt").write_text("浅层文件：推进居民自治。", encoding="utf-8")
        (here / "deep.txt").write_text("深层文件。", encoding="utf-8")
        data, _ = ingested(root)
        ids = {d["id"] for d in data["documents"]}
        assert "shallow" in ids and "deep" not in ids
        (skip,) = [f for f in data["files"] if "nested deeper" in f["reason"]]
        assert skip["status"] == "skipped" and "64 levels" in skip["reason"]
        data, _ = ingested(root, "--max-depth", "1")
        assert "shallow" not in {d["id"] for d in data["documents"]}
    finally:
        if (root / "d").exists():
            _remove_deep(root / "d")


def test_reliability_symlink_loop_is_reported_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write_good(root)
    (root / "sub").mkdir()
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root / "self")  # a link to itself
    data, _ = ingested(root)
    files = _files(data)
    assert files["loop"]["status"] == "skipped" and "not followed" in files["loop"]["reason"]
    assert files["self"]["status"] in ("skipped", "failed")


# --------------------------------------------------------------------------- matching
@pytest.mark.parametrize(
    "unit",
    ["基层治理居民自治", "居民自治广西壮族自治区共建一带一路共建共治共享"],
    ids=["hits", "hits-and-look-alikes"],
)
def test_reliability_a_sentence_without_end_tags_in_bounded_time(tmp_path: Path, unit: str) -> None:
    # 5,000 repeats and no sentence end: finding each hit's scope used to walk the whole
    # text (quadratic: minutes); it is now bisected, and evidence is a window.
    path = tmp_path / "flat.txt"
    path.write_text(unit * 5000, encoding="utf-8")
    proc = govtext("tag", str(path), "--format", "jsonl")
    assert proc.returncode == 0
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    tags = {t["theme"]: t for t in row["themes"]}
    assert tags["self_governance"]["hits"] == 5000
    for t in row["themes"]:
        for ev in t["evidence"]:
            assert len(ev["sentence"]) <= 2000
            assert ev["sentence"][ev["start"] : ev["end"]] == ev["term"]


def test_reliability_windowed_evidence_holds_the_match() -> None:
    from govtext.documents import Document
    from govtext.themes import Matcher
    from govtext.themes.matcher import MAX_SENTENCE_CHARS

    text = "甲" * 5000 + "推进居民自治" + "乙" * 5000 + "。短句里也有居民自治。"
    hits = Matcher().fit().transform(Document("d", text))
    long, short = sorted(hits, key=lambda h: h.start)
    assert len(long.sentence) <= MAX_SENTENCE_CHARS
    offset = long.start - long.sentence_start
    assert long.sentence[offset : offset + len(long.term)] == long.term == text[long.start : long.end]
    assert text[long.sentence_start : long.sentence_start + len(long.sentence)] == long.sentence
    assert short.sentence == "短句里也有居民自治。"  # a real sentence is quoted whole


# --------------------------------------------------------------------------- good parts kept
def test_reliability_workbook_sheet_without_text_keeps_the_others(tmp_path: Path) -> None:
    from openpyxl import Workbook

    write_good(tmp_path / "in")
    wb = Workbook()
    ws = wb.active
    ws.title = "texts"
    ws.append(["id", "text"])
    ws.append(["w1", "推进居民自治，完善基层治理。"])
    ws.append(["w2", "坚持依法治理，建设法治政府。"])
    stats = wb.create_sheet("stats")
    stats.append(["year", "value"])
    stats.append([2020, 3])
    wb.save(tmp_path / "in" / "book.xlsx")
    data, _ = ingested(tmp_path / "in")
    assert {"w1", "w2"} <= {d["id"] for d in data["documents"]}
    assert "sheet 'stats' skipped" in _files(data)["book.xlsx"]["reason"]


def test_reliability_lines_in_two_encodings_are_each_read(tmp_path: Path) -> None:
    write_good(tmp_path / "in")
    raw = (
        "第一行推进居民自治。\n".encode()
        + "第二行坚持依法治理。\n".encode("gbk")
        + "第三行党建引领。\n".encode()
    )
    (tmp_path / "in" / "joined.txt").write_bytes(raw)
    data, _ = ingested(tmp_path / "in", "--with-text")
    doc = next(d for d in data["documents"] if d["id"] == "joined")
    assert "第二行坚持依法治理" in doc["text"] and "\ufffd" not in doc["text"]
    assert "1 line(s) decoded as GB18030" in _files(data)["joined.txt"]["reason"]


def test_reliability_huge_id_is_kept(tmp_path: Path) -> None:
    write_good(tmp_path / "in")
    (tmp_path / "in" / "ids.jsonl").write_text(
        '{"id": ' + "9" * 5000 + ', "text": "推进居民自治。"}\n{"id": "ok", "text": "坚持依法治理。"}\n',
        encoding="utf-8",
    )
    data, _ = ingested(tmp_path / "in")
    ids = {d["id"] for d in data["documents"]}
    assert "9" * 5000 in ids and "ok" in ids


def test_reliability_random_bytes_on_tag_stdin_are_refused() -> None:
    import random

    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(400)) + b"\0" * 20  # a binary file piped in
    proc = govtext("tag", "-", stdin=noise)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "<stdin>:" in proc.stderr
    ingest = govtext("ingest", "-", stdin=noise)
    assert ingest.returncode == 1


@pytest.mark.parametrize(
    ("name", "body", "status", "reason"),
    [
        (
            "deep.html",
            "<html><body>"
            + "<div>" * 5000
            + "<p>推进居民自治，完善基层治理体系，这是正文的一段话。</p>"
            + "</div>" * 5000,
            "read",
            "visible text was read whole",
        ),
        (
            "script-only.html",
            "<html><script>" + "var a=1;" * 500 + "</script></html>",
            "skipped",
            "no main text",
        ),
        ("deep.json", "[" * 5000 + "]" * 5000, "failed", "nested deeper than the parser's limit"),
        (
            "deep-field.json",
            '{"text": "推进居民自治。", "x": ' + "[" * 3000 + "]" * 3000 + "}",
            "failed",
            "nested deeper",
        ),
    ],
    ids=["deep-html", "script-only-html", "deep-json", "deep-field-json"],
)
def test_reliability_nesting_is_named_not_a_recursion_error(
    tmp_path: Path, name: str, body: str, status: str, reason: str
) -> None:
    write_good(tmp_path / "in")
    (tmp_path / "in" / name).write_text(body, encoding="utf-8")
    data, _ = ingested(tmp_path / "in")
    record = _files(data)[name]
    assert record["status"] == status and reason in record["reason"], record
    assert "RecursionError" not in record["reason"]
