"""Figures drawn early (issue 20): while a run waits for its topic model, the report's
child process is started and draws the figures that need only the comparison tables; the
report then writes them where they go. Drawn early or late, the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import make_compared_result, small_figure

from govtext.report import child, early_figures, write_report


@pytest.fixture
def result():
    return make_compared_result()


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The figures each report handed its child (None: drawn there early)."""
    seen: list[dict[str, object]] = []
    send = child.ReportChild.send_figures

    def spy(self, figures, rebuild=None):
        seen.append({name: fig for name, (fig, *_rest) in figures.items()})
        return send(self, figures, rebuild)

    monkeypatch.setattr(child.ReportChild, "send_figures", spy)
    return seen


def test_report_figures_drawn_early_equal_those_drawn_late(tmp_path: Path, result, sent) -> None:
    late = write_report(result, tmp_path / "late")
    assert not late.reused and set(sent[0]) == {"heatmap", "framework_balance", "similarity"}
    assert all(fig is not None for fig in sent[0].values())
    child.start_early(early_figures(result, result.tables))
    early = write_report(result, tmp_path / "early")
    assert not child._early  # the report took the child started early
    assert sent[1] == {"heatmap": None, "framework_balance": None, "similarity": None}
    assert list(early) == list(late)
    assert _files(tmp_path / "early") == _files(tmp_path / "late")


def test_report_figures_drawn_early_of_other_tables_are_not_used(tmp_path: Path, result, sent) -> None:
    write_report(result, tmp_path / "late")
    other = dict(result.tables)
    other["theme_density"] = other["theme_density"].copy()  # equal, but not the report's table
    child.start_early(early_figures(result, other))
    write_report(result, tmp_path / "early")
    assert all(fig is not None for fig in sent[1].values())  # drawn afresh from the report's tables
    assert _files(tmp_path / "early") == _files(tmp_path / "late")


def test_report_reused_ends_the_child_started_early(tmp_path: Path, result) -> None:
    write_report(result, tmp_path / "r")
    child.start_early(early_figures(result, result.tables))
    ((proc, *_rest),) = child._early
    assert write_report(result, tmp_path / "r").reused
    assert not child._early and proc.exitcode == 0


def test_report_child_figures_drawn_early_are_made_here_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A figure the child drew early but did not write (it died) is made again here."""
    import multiprocessing as mp

    from govtext.report import charts

    figure = small_figure

    ref = figure()
    want_svg, want_png = charts.svg(ref, None, "f"), charts.png(ref, None, "f")

    def no_process(*args: object, **kwargs: object) -> None:
        raise OSError("no process")

    monkeypatch.setattr(
        mp, "get_context", lambda *a: type("Ctx", (), {"Process": no_process, "Pipe": mp.Pipe})()
    )
    here = child.ReportChild(None, {})
    here.send_figures(
        {"f": (None, None, tmp_path / "f.svg", tmp_path / "f.png")}, rebuild=lambda: {"f": figure()}
    )
    assert here.result() is None
    assert (tmp_path / "f.svg").read_text(encoding="utf-8") == want_svg
    assert (tmp_path / "f.png").read_bytes() == want_png
