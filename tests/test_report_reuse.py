"""A report whose inputs have not changed is left as it is (issue 20): byte for byte, mtimes
kept, nothing rendered; a changed input, a damaged file or ``force`` writes it afresh."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from report_fixtures import make_compared_result

from govtext.report import charts, child, write_report
from govtext.report.ledger import LEDGER

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _state(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith("govtext.duckdb")
    }


@pytest.fixture
def result():
    return make_compared_result()


@pytest.fixture
def renders(monkeypatch) -> dict[str, int]:
    """How many figures and workbooks were rendered."""
    counts = {"svg": 0, "xlsx": 0}
    svg = charts.svg

    def count_svg(*args, **kwargs):
        counts["svg"] += 1
        return svg(*args, **kwargs)

    # the workbook is written by a child process (govtext.report.child), or here when it cannot
    start = child.ReportChild.__init__

    def count_child(self, xlsx, tables):
        counts["xlsx"] += xlsx is not None
        return start(self, xlsx, tables)

    monkeypatch.setattr(charts, "svg", count_svg)
    monkeypatch.setattr(child.ReportChild, "__init__", count_child)
    return counts


def test_report_reuse_same_inputs_leave_the_folder_untouched(tmp_path: Path, result, renders) -> None:
    first = write_report(result, tmp_path / "r")
    assert first.reused is False and renders["svg"] > 0 and renders["xlsx"] == 1
    before = _state(tmp_path / "r")
    assert LEDGER in before
    drawn = dict(renders)
    # another run of the same inputs: other timings and start time
    result.settings = {
        **result.settings,
        "timings_s": {"compare": 9.9},
        "started": "2026-12-05T09:00:00+0000",
    }
    again = write_report(result, tmp_path / "r")
    assert again.reused is True
    assert renders == drawn  # nothing drawn or written
    assert _state(tmp_path / "r") == before  # every byte and mtime
    assert dict(again) == dict(first) and again.warnings == first.warnings


def test_report_reuse_changed_input_rerenders(tmp_path: Path, result, renders) -> None:
    write_report(result, tmp_path / "r")
    old = (tmp_path / "r" / "tables" / "theme_density.csv").read_bytes()
    drawn = dict(renders)
    density = result.tables["theme_density"].copy()
    density.loc[0, "hits"] += 1
    result.tables = {**result.tables, "theme_density": density}
    files = write_report(result, tmp_path / "r")
    assert files.reused is False and renders["xlsx"] == drawn["xlsx"] + 1 and renders["svg"] > drawn["svg"]
    assert (tmp_path / "r" / "tables" / "theme_density.csv").read_bytes() != old


@pytest.mark.parametrize("damage", ["truncate", "delete", "edit", "ledger"])
def test_report_reuse_damaged_report_is_written_afresh(tmp_path: Path, result, renders, damage: str) -> None:
    out = tmp_path / "r"
    write_report(result, out)
    before = {k: v[0] for k, v in _state(out).items()}
    target = out / ("report.xlsx" if damage != "ledger" else LEDGER)
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "delete":
        target.unlink()
    elif damage == "edit":  # same size, other bytes
        data = bytearray(target.read_bytes())
        data[-1] ^= 1
        target.write_bytes(bytes(data))
    else:
        target.write_text(json.dumps({"format": 1, "key": "other"}), encoding="utf-8")
    files = write_report(result, out)
    assert files.reused is False
    assert {k: v[0] for k, v in _state(out).items()} == before  # the same report, whole again


def test_report_reuse_force_writes_afresh(tmp_path: Path, result, renders) -> None:
    write_report(result, tmp_path / "r")
    drawn = dict(renders)
    files = write_report(result, tmp_path / "r", force=True)
    assert files.reused is False and renders["xlsx"] == drawn["xlsx"] + 1


def test_report_reuse_other_formats_are_another_report(tmp_path: Path, result) -> None:
    write_report(result, tmp_path / "r")
    files = write_report(result, tmp_path / "r", formats="html,csv")
    assert files.reused is False and not (tmp_path / "r" / "report.xlsx").exists()


@pytest.mark.skipif(not (CORPUS / "provincial-reports-2026").is_dir(), reason="needs ../shared/corpus")
def test_report_reuse_govtext_run_twice_on_real_reports(tmp_path: Path, renders) -> None:
    """``govtext run`` again on unchanged provincial reports: the same report, untouched;
    one report changed: written afresh."""
    from govtext.config import default_pipeline
    from govtext.pipeline import run_pipeline

    corpus = tmp_path / "in"
    shutil.copytree(CORPUS / "provincial-reports-2026", corpus)
    cfg = default_pipeline()
    cfg.topics.enabled = False  # the topic model's reuse is tested in test_topics_model
    out = tmp_path / "out"
    first = run_pipeline(cfg, [corpus], out=out)
    assert first.files.reused is False
    before = _state(out)
    drawn = dict(renders)
    again = run_pipeline(cfg, [corpus], out=out)
    assert again.files.reused is True and renders == drawn
    assert _state(out) == before
    changed = sorted(corpus.glob("*.csv"))[0]
    text = changed.read_text(encoding="utf-8-sig")
    assert "治理" in text
    changed.write_text(text.replace("治理", "管理", 1), encoding="utf-8-sig")
    third = run_pipeline(cfg, [corpus], out=out)
    assert third.files.reused is False and renders["xlsx"] == drawn["xlsx"] + 1
