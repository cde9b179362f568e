"""The report: offline HTML, Markdown, CSV, Excel, run.json and figures from a RunResult.

The report adds no analysis of its own: the tables come from ``result.tables`` (or
:func:`govtext.compare.compare_all` when the run carries none), the evidence from the
hits. Every file is written atomically.

>>> files = write_report(result, "reports/provinces")  # doctest: +SKIP
>>> files["html"], files.warnings  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError
from govtext.report.fonts import FontChoice, find_cjk_font

if TYPE_CHECKING:
    import pandas as pd

    from govtext.results import RunResult

FORMATS = ("html", "md", "csv", "json", "xlsx", "figures")
# Beyond these, pages and figures show the largest groups only (the tables keep all).
MAX_GROUPS_PAGE = 150
MAX_GROUPS_FIGURE = 60
_DRAWN_HERE = {"trend"}  # the page inlines it; the other figures are drawn by the report's child

__all__ = [
    "FORMATS",
    "FontChoice",
    "ReportFiles",
    "ReportWarning",
    "find_cjk_font",
    "run_info",
    "write_report",
]


class ReportWarning(UserWarning):
    """Something the reader of a report should know (e.g. no CJK font for PNG figures)."""


class ReportFiles(dict[str, Path]):
    """Every file written, by key (``html``, ``md``, ``json``, ``xlsx``, ``csv:<table>``,
    ``svg:<figure>``, ``png:<figure>``); ``warnings`` lists what the report also says;
    ``reused``: the folder held this very report already and was left as it was."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.reused = False  # True: the folder already held this report, left untouched


def _formats(formats: Iterable[str] | str) -> list[str]:
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    items = ["md" if f == "markdown" else f for f in items if f]
    bad = [f for f in items if f not in FORMATS]
    if bad:
        raise ConfigError(
            f"The 'formats' parameter of write_report must be a subset of {{{', '.join(FORMATS)}}}. "
            f"Got {bad[0]!r} instead."
        )
    return list(dict.fromkeys(items))


def report_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The named tables of a run: ``result.tables``, completed by compare_all when it lacks them."""
    from govtext.compare import compare_all

    if "theme_density" in result.tables:
        return dict(result.tables)
    return {**compare_all(result), **result.tables}


def run_info(
    result: RunResult, tables: dict[str, pd.DataFrame] | None = None, warnings_: Iterable[str] = ()
) -> dict[str, Any]:
    """The facts of run.json: settings, counts, corpus hash, table shapes, warnings."""
    from govtext.compare import group_labels

    files = list(result.corpus.files) if result.corpus is not None else []
    status = {s: sum(1 for f in files if f.status == s) for s in ("read", "skipped", "failed")}
    hits = result.hits
    by_theme = hits.groupby("theme").size().to_dict() if len(hits) and "theme" in hits.columns else {}
    groups = group_labels(result.documents, result.by) if len(result.documents) else []
    chars = int(result.documents["n_chars"].sum()) if "n_chars" in result.documents.columns else 0
    return {
        "name": result.name,
        "by": result.by,
        "time_field": result.time_field,
        "settings": result.settings,
        "corpus_hash": result.corpus.hash() if result.corpus is not None else None,
        "counts": {
            "files": len(files),
            "files_read": status["read"],
            "files_skipped": status["skipped"],
            "files_failed": status["failed"],
            "documents": len(result.documents),
            "characters": chars,
            "groups": len(set(groups)),
            "themes": len(result.themes),
            "hits": len(hits),
            "hits_by_theme": {str(k): int(v) for k, v in by_theme.items()},
        },
        "tables": {
            k: {"rows": len(v), "columns": [str(c) for c in v.columns]} for k, v in (tables or {}).items()
        },
        "warnings": list(warnings_),
    }


def write_report(
    result: RunResult,
    out_dir: str | Path,
    formats: Iterable[str] | str = FORMATS,
    font: str | None = None,
    *,
    title: str | None = None,
    evidence_per_cell: int = 3,
    extra_html: Iterable[str] = (),
    force: bool = False,
) -> ReportFiles:
    """Write the report of ``result`` into ``out_dir`` and return every file written.

    ``formats`` is any of html, md, csv, json, xlsx, figures. ``font`` names a CJK font
    family or file for the figures; by default the first CJK font on the system is used,
    and when there is none the report says so (``files.warnings``, run.json, the HTML
    and a ReportWarning) and SVG figures keep their text as text for the browser to draw.
    ``title`` heads the page (default: the run's name).

    When ``out_dir`` holds the report of the same inputs, intact (``govtext.report.ledger``),
    it is left as it is and its files returned (``files.reused`` is True); ``force``
    writes it afresh all the same.
    """
    fmts = _formats(formats)
    final = Path(out_dir)
    files = ReportFiles()
    tables = report_tables(result)
    chosen = find_cjk_font(font)
    if chosen is None and ("figures" in fmts or "html" in fmts):
        from govtext.report.fonts import INSTALL_HINT

        files.warnings.append(
            "No CJK font found (neither matplotlib nor fontconfig lists a font with Chinese glyphs): "
            "PNG figures will show boxes instead of Chinese; "
            f"SVG figures keep text as text so browsers draw it with their own fonts. To fix, {INSTALL_HINT}."
        )
    for w in files.warnings:
        warnings.warn(w, ReportWarning, stacklevel=2)
    # Warnings of earlier stages (e.g. a topic model that could not be fitted) go in too.
    files.warnings.extend(str(w) for w in result.settings.get("warnings", []))
    info = run_info(result, tables, files.warnings)
    info["report"] = {"formats": fmts, "font": chosen.family if chosen else None}
    key = _report_key(result, tables, info, chosen, title, evidence_per_cell, tuple(extra_html))
    if not force:
        from govtext.report.ledger import intact

        kept = intact(final, key) if final.is_dir() else None
        if kept is not None:
            from govtext.report.child import drop_early

            drop_early()  # a child started ahead for this report has nothing to do
            files.update(kept[0])
            files.reused = True
            return files
    return _write(result, final, fmts, tables, info, chosen, files, key, title, evidence_per_cell, extra_html)


def _report_key(
    result: RunResult,
    tables: dict[str, pd.DataFrame],
    info: dict[str, Any],
    font: FontChoice | None,
    title: str | None,
    evidence_per_cell: int,
    extra_html: tuple[str, ...],
) -> str:
    from govtext.report.ledger import report_key

    frames = {f"table:{k}": v for k, v in tables.items()}
    for name in ("documents", "hits", "themes"):
        frame = getattr(result, name)
        if not any(frame is t for t in tables.values()):  # the hits table is the hits
            frames[name] = frame
    if result.corpus is not None:
        frames["manifest"] = result.corpus.manifest()
    options = {
        "font": [font.family, str(font.path)] if font else None,
        "title": title,
        "evidence_per_cell": evidence_per_cell,
        "extra_html": list(extra_html),
        "name": result.name,
    }
    return report_key(frames, info, options)


# long: the staged folder and the child process's life (try/finally) span every format written
def _write(
    result: RunResult,
    final: Path,
    fmts: list[str],
    tables: dict[str, pd.DataFrame],
    info: dict[str, Any],
    chosen: FontChoice | None,
    files: ReportFiles,
    key: str,
    title: str | None,
    evidence_per_cell: int,
    extra_html: Iterable[str],
) -> ReportFiles:
    """Render every format into a staged folder and swap it in (``write_report``'s work)."""
    from govtext.compare import group_labels, group_order
    from govtext.report import charts
    from govtext.report.child import ReportChild, drop_early
    from govtext.report.evidence import select_evidence
    from govtext.report.io import StagedFolder, atomic_write_text, dumps_json, write_csv
    from govtext.report.ledger import LEDGER, ledger_text
    from govtext.report.page import build_page, render_html, render_markdown

    groups = group_labels(result.documents, result.by)
    order = group_order(groups)
    # The whole folder is replaced at once, so a crash leaves the old report or the new one.
    with StagedFolder(final) as out:
        # The workbook and most figures are made by a child process while this one draws
        # the trend and writes the rest (govtext.report.child): two cores, one report. It
        # starts on the comparison tables' sheets now.
        want_png = "figures" in fmts
        child = (
            ReportChild(out / "report.xlsx" if "xlsx" in fmts else None, tables)
            if "xlsx" in fmts or want_png
            else None
        )
        if child is None:
            drop_early()
        try:
            evidence = select_evidence(result.hits, groups, per_cell=evidence_per_cell)
            figures: dict[str, Any] = {}
            names: list[str] = []
            early: set[str] = set()  # figures the child drew before the topic model was there
            if "html" in fmts or want_png:
                # The page itself only shows the trend chart; the rest are for papers.
                fig_groups = largest_groups(order, groups, result.documents, MAX_GROUPS_FIGURE)
                names = _figure_names(tables, result.themes, fig_groups)
                if not want_png:
                    names = [n for n in names if n == "trend"]
                made = child.early if child is not None and want_png else None
                if made is not None and made.matches(tables, result.themes, fig_groups, chosen):
                    early = set(_figure_names(made.tables, result.themes, fig_groups)) - _DRAWN_HERE
                figures = _figures(tables, result.themes, fig_groups, chosen, only=set(names) - early)
            # The child draws the heat map, the framework balance and the similarity
            # matrix (in a run, before the topic model is there: early_figures), and makes
            # the workbook; this process the trend (the page inlines it), the page, the
            # Markdown and the CSV. So the two take about as long on ../shared/corpus.
            mine = {n: f for n, f in figures.items() if n in _DRAWN_HERE or not want_png}
            if want_png:
                for name in names:
                    files[f"svg:{name}"] = out / "figures" / f"{name}.svg"
                    files[f"png:{name}"] = out / "figures" / f"{name}.png"
                if child is not None:
                    child.send_figures(
                        {
                            n: (figures.get(n), chosen, files[f"svg:{n}"], files[f"png:{n}"])
                            for n in names
                            if n not in mine
                        },
                        rebuild=partial(_figures, tables, result.themes, fig_groups, chosen, only=early),
                    )
            svgs = {name: charts.svg(fig, chosen, name) for name, fig in mine.items()}
            if want_png:
                for name, fig in mine.items():
                    atomic_write_text(files[f"svg:{name}"], svgs[name])
                    _write_png(files[f"png:{name}"], fig, chosen, name)
            shown = largest_groups(order, groups, result.documents, MAX_GROUPS_PAGE)
            page = build_page(result, tables, evidence, shown, info, svgs, title, n_groups=len(order))
            page.extra_html = tuple(extra_html)
            if child is not None:
                child.send_tables(page.export_tables)
            if "html" in fmts:
                files["html"] = atomic_write_text(out / "index.html", render_html(page))
            if "md" in fmts:
                files["md"] = atomic_write_text(out / "report.md", render_markdown(page))
            if "csv" in fmts:
                for name, frame in {**tables, **page.export_tables}.items():
                    files[f"csv:{name}"] = write_csv(out / "tables" / f"{name}.csv", frame)
            if child is not None:
                workbook = child.result()
                if workbook is not None:
                    files["xlsx"] = workbook
        finally:
            if child is not None:
                child.close()
        if "json" in fmts:
            files["json"] = atomic_write_text(out / "run.json", dumps_json(info))
        if result.corpus is not None and result.corpus.files:
            # Every input file, read, skipped or failed, and why, beside the report.
            files["manifest"] = write_csv(out / "manifest.csv", result.corpus.manifest())
        # Last: a report killed before this line has no ledger, so it is never re-used.
        atomic_write_text(out / LEDGER, ledger_text(key, out, files, files.warnings))
    for name, path in files.items():
        files[name] = final / path.relative_to(out)
    return files


def largest_groups(order: list[str], labels: pd.Series, documents: pd.DataFrame, limit: int) -> list[str]:
    """The ``limit`` groups with most documents (then characters), kept in ``order``."""
    if len(order) <= limit:
        return order
    import pandas as pd

    chars = documents["n_chars"].to_numpy() if "n_chars" in documents.columns else 0
    size = (
        pd.DataFrame({"group": labels.to_numpy(), "chars": chars})
        .groupby("group")["chars"]
        .agg(["size", "sum"])
    )
    top = set(size.sort_values(["size", "sum"], ascending=False).index[:limit])
    return [g for g in order if g in top]


def _write_png(path: Path, fig: Any, font: FontChoice | None, name: str) -> Path:
    from govtext.report import charts
    from govtext.report.io import atomic_write_bytes

    with warnings.catch_warnings():
        # Missing glyphs were already reported once as a ReportWarning.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        return atomic_write_bytes(path, charts.png(fig, font, name))


def _figure_names(tables: dict[str, pd.DataFrame], themes: pd.DataFrame, groups: list[str]) -> list[str]:
    """The figures these tables make, in the report's order."""
    names = []
    if "theme_density" in tables and len(themes) and groups:
        names.append("heatmap")
    if "framework_balance" in tables and len(tables["framework_balance"]) and groups:
        names.append("framework_balance")
    if "trend" in tables and len(tables["trend"]):
        names.append("trend")
    if "similarity" in tables and len(tables["similarity"]) > 1:
        names.append("similarity")
    return names


def _figures(
    tables: dict[str, pd.DataFrame],
    themes: pd.DataFrame,
    groups: list[str],
    font: FontChoice | None,
    only: set[str] | None = None,
) -> dict[str, Any]:
    from govtext.report import charts

    figs: dict[str, Any] = {}
    for name in _figure_names(tables, themes, groups):
        if only is not None and name not in only:
            continue
        if name == "heatmap":
            figs[name] = charts.heatmap(tables["theme_density"], themes, groups, font)
        elif name == "framework_balance":
            figs[name] = charts.framework_balance(tables["framework_balance"], groups, font)
        elif name == "trend":
            figs[name] = charts.trend_lines(tables["trend"], themes, font)
        else:
            from govtext.compare import similarity_matrix

            sim = similarity_matrix(tables["similarity"])
            keep = [g for g in sim.index if g in set(groups)]
            figs[name] = charts.similarity(sim.loc[keep, keep], font)
    return figs


def early_figures(result: RunResult, tables: dict[str, pd.DataFrame]) -> Any:
    """What the figures the report's child draws (all but the trend) are made of, from
    the comparison ``tables`` before the topic model is there
    (``govtext.report.child.Early``); the report uses them when it would make the same."""
    from govtext.compare import group_labels, group_order
    from govtext.report.child import Early

    groups = group_labels(result.documents, result.by)
    fig_groups = largest_groups(group_order(groups), groups, result.documents, MAX_GROUPS_FIGURE)
    drawn_there: dict[str, pd.DataFrame] = {
        k: tables[k] for k in ("theme_density", "framework_balance", "similarity") if k in tables
    }
    return Early(drawn_there, result.themes, fig_groups, find_cjk_font(None))
