"""The report's second process: the workbook and the PNG figures, beside the main one.

On ../shared/corpus the report is ~8 CPU-s: figures drawn as SVG and as PNG, the
workbook's ~890k cells, the page, Markdown and CSV. The main process builds the figures,
draws the one the page inlines (the trend) and writes the page, Markdown and CSV; a child
process writes the workbook and draws the other figures, so both cores work (issue 20).

The child is a fresh interpreter (spawn), not a fork: a fork of a run that holds
gigabytes would count them again, and its threads' locks would come along. It starts
with the comparison tables and makes their sheets; then it reads, in this order, the
figures (pickled before any draw; drawn there as here, SVG then PNG, the same bytes) and
the page's tables. Everything it writes is also written here if it could not: the report
never lacks a file, and the bytes are the same either way.

``start_early`` starts the child ahead of the report, with nothing to do yet: its
interpreter and imports (pandas, matplotlib, ~1 CPU-s) then run while the run
waits for its topic model, and the next ``ReportChild`` hands it its work through the pipe
instead of starting a process (issue 20: they were on the report's path, and the main
process sat ~0.4 s in ``Process.start`` until the child had imported pandas).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from govtext.report.fonts import FontChoice

# name → (figure, font, SVG path, PNG path)
Figures = dict[str, tuple[Any, "FontChoice | None", Path, Path]]


def write_svg_png(svg: Path, png: Path, fig: Any, font: FontChoice | None, name: str) -> None:
    """The figure as SVG, then as PNG: the SVG's draw lays the figure out and freezes
    that layout (``charts.svg``), so the PNG reuses it; this order gives the PNG its bytes."""
    import warnings

    from govtext.report import charts
    from govtext.report.io import atomic_write_bytes, atomic_write_text

    atomic_write_text(svg, charts.svg(fig, font, name))
    with warnings.catch_warnings():
        # Missing glyphs were already reported once as a ReportWarning.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        atomic_write_bytes(png, charts.png(fig, font, name))


class _Inbox:
    """What ``write_xlsx`` reads its further tables from: the figures come first on the
    pipe, drawn as PNG on the way, then the tables. A figure sent as None is one drawn
    early (``drawn``: its SVG text and PNG bytes), written now where the report says."""

    def __init__(self, conn: Any, drawn: dict[str, tuple[str, bytes]] | None = None) -> None:
        self.conn = conn
        self.drawn = drawn or {}

    def recv(self) -> Any:
        from govtext.report.io import atomic_write_bytes, atomic_write_text

        figures: Figures = self.conn.recv()
        for name, (fig, font, svg, png) in figures.items():
            if fig is None:
                svg_text, png_bytes = self.drawn[name]  # none drawn: this process fails, the report draws it
                atomic_write_text(svg, svg_text)
                atomic_write_bytes(png, png_bytes)
            else:
                write_svg_png(svg, png, fig, font, name)
        return self.conn.recv()


def _waiting(conn: Any) -> None:
    """A child started early: import what the work needs, draw the figures it was given
    the inputs of (``Early``), then wait for its work."""
    import govtext.report.io  # noqa: F401
    from govtext.report.charts import import_drawing

    import_drawing()
    try:
        early = conn.recv()
        drawn = _draw_early(early) if early is not None else {}
        xlsx, tables = conn.recv()
    except (EOFError, OSError):  # the run ended without a report (or wrote it itself)
        return
    _child(xlsx, tables, conn, drawn)


class Early:
    """What the figures drawn early are made of: the comparison tables they show (by
    name), the themes, the groups shown and the font. ``matches`` says whether the report
    would make the same figures (the same table objects, equal groups and font)."""

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        themes: pd.DataFrame,
        groups: list[str],
        font: FontChoice | None,
    ) -> None:
        self.tables, self.themes, self.groups, self.font = tables, themes, groups, font

    def matches(
        self, tables: dict[str, Any], themes: pd.DataFrame, groups: list[str], font: FontChoice | None
    ) -> bool:
        return (
            all(tables.get(k) is v for k, v in self.tables.items())
            and themes is self.themes
            and groups == self.groups
            and font == self.font
        )


def _draw_early(early: Early) -> dict[str, tuple[str, bytes]]:
    """Each figure of ``early``: its SVG text and PNG bytes (``write_svg_png``'s, held
    until the report says where they go)."""
    import warnings

    from govtext.report import _figures, charts

    drawn = {}
    for name, fig in _figures(early.tables, early.themes, early.groups, early.font).items():
        svg = charts.svg(fig, early.font, name)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from")
            drawn[name] = (svg, charts.png(fig, early.font, name))
    return drawn


# A child started by start_early and not yet given its work: (process, our end of the
# pipe, the thread sending it the early figures' inputs, those inputs).
_early: list[tuple[Any, Any, threading.Thread, Early | None]] = []


def start_early(early: Early | None = None) -> None:
    """Start the report's child now, to be given its work by the next ``ReportChild``
    (at most one waits; one that cannot start is simply not there); it draws the figures
    of ``early`` meanwhile."""
    import multiprocessing as mp
    from multiprocessing.reduction import ForkingPickler

    if _early:
        return
    try:
        data = bytes(ForkingPickler.dumps(early))
        ctx = mp.get_context("spawn")
        conn, theirs = ctx.Pipe()
        proc = ctx.Process(target=_waiting, args=(theirs,), daemon=True)
        proc.start()
        theirs.close()
    except Exception:  # no process to start: the report starts its own, or works alone
        return
    # written by a thread: the child reads it once it has imported matplotlib
    sender = threading.Thread(target=_send_quietly, args=(conn, data), daemon=True)
    sender.start()
    _early.append((proc, conn, sender, early))


def _send_quietly(conn: Any, data: bytes) -> None:
    try:
        conn.send_bytes(data)
    except OSError:  # the child is gone: the report does its work itself
        pass


def drop_early() -> None:
    """End a child started early that no report will use (the report was re-used)."""
    while _early:
        proc, conn, sender, _ = _early.pop()
        sender.join()
        conn.close()  # it reads the end of the pipe and returns
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
            proc.join()


def _take_early() -> tuple[Any, Any, threading.Thread, Early | None] | None:
    while _early:
        proc, conn, sender, early = _early.pop()
        if proc.is_alive():
            return proc, conn, sender, early
        sender.join()
        conn.close()
        proc.join()
    return None


def _child(
    xlsx: Path | None,
    tables: dict[str, pd.DataFrame],
    conn: Any,
    drawn: dict[str, tuple[str, bytes]] | None = None,
) -> None:
    from govtext.report.io import write_xlsx

    inbox = _Inbox(conn, drawn)
    if xlsx is not None:
        write_xlsx(xlsx, tables, inbox)
    else:
        inbox.recv()
    # Every file is written and closed: end now rather than free the figures, tables
    # and imports one by one while the run waits in ``result`` (an error above ends the
    # process with a non-zero status instead, and the run writes what is missing).
    from govtext.exit import leave

    leave(0)


class ReportChild:
    """The child, started now (or the one ``start_early`` started) on ``tables`` (the
    workbook's first sheets; ``xlsx`` None: no workbook, figures only). ``send_figures``
    then ``send_tables`` hand it the rest; ``result()`` waits for it and writes here
    whatever it did not; ``close()`` stops a child left waiting (an error on the way).
    ``early``: what the figures the child drew early are made of (None: none drawn)."""

    def __init__(self, xlsx: Path | None, tables: dict[str, pd.DataFrame]) -> None:
        import multiprocessing as mp

        self.xlsx, self.tables = xlsx, tables
        self.figures: Figures = {}
        self.more: dict[str, pd.DataFrame] = {}
        self.proc: Any = None
        self.conn: Any = None
        self.sender: threading.Thread | None = None
        self.sent = 0
        self.early: Early | None = None
        self.rebuild: Any = None
        taken = _take_early()
        if taken is not None:
            self.proc, self.conn, self.sender, self.early = taken
            self._send((xlsx, tables if xlsx else {}), count=False)
            return
        try:
            ctx = mp.get_context("spawn")
            self.conn, theirs = ctx.Pipe()
            self.proc = ctx.Process(target=_child, args=(xlsx, tables if xlsx else {}, theirs), daemon=True)
            self.proc.start()
            theirs.close()
        except Exception:  # no process to start, or a table that does not pickle: all done here
            self.proc = None

    def send_figures(self, figures: Figures, rebuild: Any = None) -> None:
        """``figures`` to draw; one given as None is one the child drew early, made
        again here by ``rebuild()`` (name → figure) should the child not write it."""
        self.figures, self.rebuild = figures, rebuild
        self._send(figures)

    def send_tables(self, more: dict[str, pd.DataFrame]) -> None:
        if not self.sent:
            self.send_figures({})
        self.more = more
        self._send(more)

    def _send(self, obj: Any, count: bool = True) -> None:
        """Pickled here (what does not pickle is done in ``result()``), written by a
        thread: the child reads only between its sheets, and a pipe holds 64 KiB.
        ``count`` False: the work of a child started early, sent before the rest."""
        from multiprocessing.reduction import ForkingPickler

        self.sent += count
        if self.proc is None:
            return
        try:
            data = bytes(ForkingPickler.dumps(obj))
        except Exception:
            self.close()
            return
        before, conn = self.sender, self.conn

        def send() -> None:
            if before is not None:
                before.join()  # the figures go first
            try:
                conn.send_bytes(data)
            except OSError:  # the child is gone: result() does its work here
                pass

        self.sender = threading.Thread(target=send, daemon=True)
        self.sender.start()

    def result(self) -> Path | None:
        """The workbook's path (None: no workbook asked), every PNG written."""
        from govtext.report.io import write_xlsx

        if self.sent < 2:
            self.send_tables({})
        ok = False
        if self.proc is not None:
            self.proc.join()
            if self.sender is not None:
                self.sender.join()
            ok = self.proc.exitcode == 0
        rebuilt: dict[str, Any] | None = None
        for name, (fig, font, svg, png) in self.figures.items():
            if not (ok and svg.is_file() and png.is_file()):
                if fig is None:
                    rebuilt = rebuilt if rebuilt is not None else self.rebuild()
                    fig = rebuilt[name]
                write_svg_png(svg, png, fig, font, name)
        if self.xlsx is None:
            return None
        if ok and self.xlsx.is_file():
            return self.xlsx
        return write_xlsx(self.xlsx, {**self.tables, **self.more})

    def close(self) -> None:
        """Stop a child still waiting or writing and let go of it."""
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()
        if self.conn is not None:
            self.conn.close()
        if self.sender is not None:
            self.sender.join()
        self.proc = self.conn = self.sender = None
