"""`govtext topics PATH ... [--method seeded] [--k auto] [--out DIR]`: fit and show topic models."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from govtext.cli.common import library_errors


class Method(StrEnum):
    lda = "lda"
    nmf = "nmf"
    seeded = "seeded"


class Unit(StrEnum):
    paragraph = "paragraph"
    document = "document"


class SeedLevel(StrEnum):
    theme = "theme"
    framework = "framework"


def register(app: typer.Typer) -> None:
    app.command("topics")(topics)


def _k(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"expected a number of topics or 'auto', got {value!r}") from None


def _k_range(value: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(p) for p in value.split(","))
    except ValueError:
        parts = ()
    if not 2 <= len(parts) <= 3:
        raise typer.BadParameter(f"expected START,STOP[,STEP] as for range(), got {value!r}")
    return parts


def topics(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders to read (any format govtext ingest reads).")
    ],
    method: Annotated[
        Method, typer.Option("--method", "-m", help="seeded (theme-seeded LDA, as in run), lda or nmf.")
    ] = Method.seeded,
    k: Annotated[
        str, typer.Option("--k", "-k", help="Number of topics (seeded: seeded + free), or 'auto'.")
    ] = "auto",
    k_range: Annotated[
        str,
        typer.Option(
            "--k-range",
            help="Candidates for --k auto: START,STOP[,STEP] (seeded: free topics); capped at one topic per 10 units.",
        ),
    ] = "2,8,2",
    n_free: Annotated[
        int | None, typer.Option("--n-free", min=0, help="seeded: free topics beside the seeded ones.")
    ] = None,
    seed_level: Annotated[
        SeedLevel, typer.Option("--seed-level", help="seeded: one topic per theme or per framework.")
    ] = SeedLevel.theme,
    unit: Annotated[
        Unit, typer.Option("--unit", help="Fit on paragraphs or whole documents.")
    ] = Unit.paragraph,
    by: Annotated[
        str | None, typer.Option("--by", help="Also tabulate topic prevalence by this metadata field.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the tables as CSV (and the model) into DIR.")
    ] = None,
    dictionary: Annotated[
        Path | None, typer.Option("--dictionary", "-d", help="Theme dictionary TOML (default: shipped).")
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column with the text in CSV/XLSX/JSON files.")
    ] = None,
    min_df: Annotated[int, typer.Option("--min-df", min=1, help="Drop words in fewer units than this.")] = 2,
    max_df: Annotated[
        float, typer.Option("--max-df", min=0.0, max=1.0, help="Drop words in more than this share.")
    ] = 0.5,
    random_state: Annotated[
        int,
        typer.Option("--seed", "--random-state", help="Random seed; the same seed gives the same topics."),
    ] = 0,
    terms: Annotated[int, typer.Option("--terms", min=1, help="Top terms shown per topic.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the topic summary as JSON.")] = False,
) -> None:
    """Fit LDA, NMF or theme-seeded topics, print them, and write the tables with --out."""
    import warnings

    from govtext.topics import TopicWarning, topic_tables, topics_from_paths

    with library_errors("topics"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TopicWarning)
            corpus, model = topics_from_paths(
                [str(p) for p in paths],
                text_column=text_column,
                dictionary_path=dictionary,
                method=method.value,
                k=_k(k),
                k_range=_k_range(k_range),
                n_free=n_free,
                seed_level=seed_level.value,
                unit=unit.value,
                min_df=min_df,
                max_df=max_df,
                random_state=random_state,
            )
        tables = topic_tables(model, _documents(corpus, by) if by else None, by, n_terms=terms)
        written = _write(model, tables, out) if out is not None else {}
    notes = [str(w.message) for w in caught if issubclass(w.category, TopicWarning)]
    if as_json:
        typer.echo(_summary_json(model, tables, notes, written))
        return
    _render(model, tables, notes, written, len(corpus))


def _write(model: Any, tables: dict[str, Any], out: Path) -> dict[str, Path]:
    """The tables as CSV, the model and its settings (topics.json) into ``out``."""
    from govtext.topics import write_topic_tables

    written: dict[str, Path] = write_topic_tables(tables, out)
    model.save(out / "model")
    (out / "topics.json").write_text(
        json.dumps(model.settings(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return written


def _summary_json(model: Any, tables: dict[str, Any], notes: list[str], written: dict[str, Path]) -> str:
    payload = {
        "settings": model.settings(),
        "topics": tables["topic_summary"].to_dict(orient="records"),
        "warnings": notes,
        "written": {name: str(p) for name, p in written.items()},
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def _render(
    model: Any, tables: dict[str, Any], notes: list[str], written: dict[str, Path], n_docs: int
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    q = model.quality_
    title = (
        f"{model.method} · K={model.k_} ({model.n_seeded_} seeded) · {n_docs} documents, "
        f"{len(model.unit_ids_)} units · NPMI {q.npmi:.3f} · c_v {q.c_v:.3f} · diversity {q.diversity:.2f}"
    )
    table = Table(title=title, title_justify="left")
    for col, justify in (
        ("#", "right"),
        ("label", "left"),
        ("kind", "left"),
        ("share", "right"),
        ("NPMI", "right"),
        ("top terms", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in tables["topic_summary"].itertuples():
        table.add_row(
            str(row.topic), row.label, row.kind, f"{row.prevalence:.1%}", f"{row.npmi:.3f}", row.top_terms
        )
    console.print(table)
    curve = tables["topic_k_curve"]
    if len(curve) > 1:
        ks = "  ".join(
            f"{'[bold]' if r.chosen else ''}K={r.k}: NPMI {r.npmi:.3f} div {r.diversity:.2f}"
            f"{'[/bold]' if r.chosen else ''}"
            for r in curve.itertuples()
        )
        console.print(f"K curve (rule: {model.k_rule}): {ks}")
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}", markup=True, highlight=False)
    if written:
        console.print(f"Tables written to {next(iter(written.values())).parent}: " + ", ".join(written))


def _documents(corpus: Any, by: str) -> Any:
    """The documents frame with the core field ``by`` as a column even when no document
    has it (``Corpus.to_frame`` leaves such a field out): its groups are then all NA."""
    from govtext.documents import CORE_FIELDS, tidy_fields

    frame = corpus.to_frame()
    if by not in frame.columns and by in (*CORE_FIELDS, "author"):
        frame[by] = [doc.field(by) for doc in corpus]
        frame = tidy_fields(frame, [by])
    return frame
