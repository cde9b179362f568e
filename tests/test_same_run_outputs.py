"""scripts/same_run_outputs.py: what it masks (only the run's own record) and what it catches."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "same_run_outputs.py"
spec = importlib.util.spec_from_file_location("same_run_outputs", SCRIPT)
assert spec and spec.loader
same = importlib.util.module_from_spec(spec)
spec.loader.exec_module(same)


def _report(folder: Path, started: str, seconds: float, density: str) -> Path:
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "theme_density.csv").write_text(
        f"province,theme,density\n江苏,rule_of_law,{density}\n"
    )
    run = {
        "run": {"started": started, "timings_s": {"topics": seconds, "compare": seconds / 2}, "documents": 2}
    }
    (folder / "run.json").write_text(json.dumps(run, indent=2, ensure_ascii=False))
    (folder / "report.md").write_text(f"# 报告\n| started | {started} |\n| 文档 | 2 |\n")
    return folder


def test_runs_differing_only_in_their_own_record_match(tmp_path: Path) -> None:
    a = _report(tmp_path / "a", "2026-12-04T07:59:58+0000", 44.9, "1.25")
    b = _report(tmp_path / "b", "2026-12-04T08:02:07+0000", 20.4, "1.25")
    assert list(same.differences(a, b)) == []


@pytest.mark.parametrize("change", ["density", "documents", "missing"])
def test_a_changed_result_is_reported(tmp_path: Path, change: str) -> None:
    a = _report(tmp_path / "a", "2026-12-04T07:59:58+0000", 44.9, "1.25")
    b = _report(tmp_path / "b", "2026-12-04T07:59:58+0000", 44.9, "1.26" if change == "density" else "1.25")
    if change == "documents":
        run = json.loads((b / "run.json").read_text())
        run["run"]["documents"] = 3
        (b / "run.json").write_text(json.dumps(run, indent=2))
    if change == "missing":
        (b / "report.md").unlink()
    found = list(same.differences(a, b))
    assert len(found) == 1
    assert {"density": "theme_density.csv", "documents": "run.json", "missing": "only in"}[change] in found[0]
