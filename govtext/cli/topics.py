"""`govtext topics PATH ... [--method seeded] [--k auto] [--out DIR]`: fit and show topic models."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

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
    paths: list[Path] = typer.Argument(
        ..., help="Files or folders to read (any format govtext ingest reads)."
    ),
    method: Method = typer.Option(
        Method.seeded, "--method", "-m", help="seeded (theme-seeded LDA, as in run), lda or nmf."
    ),
    k: str = typer.Option("auto", "--k", "-k", help="Number of topics (seeded: seeded + free), or 'auto'."),
    k_range: str = typer.Option(
        "2,8,2",
        "--k-range",
        help="Candidates for --k auto: START,STOP[,STEP] (seeded: free topics); capped at one topic per 10 units.",
    ),
    n_free: int = typer.Option(None, "--n-free", min=0, help="seeded: free topics beside the seeded ones."),
    seed_level: SeedLevel = typer.Option(
        SeedLevel.theme, "--seed-level", help="seeded: one topic per theme or per framework."
    ),
    unit: Unit = typer.Option(Unit.paragraph, "--unit", help="Fit on paragraphs or whole documents."),
    by: str = typer.Option(None, "--by", help="Also tabulate topic prevalence by this metadata field."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the tables as CSV (and the model) into DIR."),
    dictionary: Path = typer.Option(
        None, "--dictionary", "-d", help="Theme dictionary TOML (default: shipped)."
    ),
    text_column: str = typer.Option(
        None, "--text-column", help="Column with the text in CSV/XLSX/JSON files."
    ),
    min_df: int = typer.Option(2, "--min-df", min=1, help="Drop words in fewer units than this."),
    max_df: float = typer.Option(
        0.5, "--max-df", min=0.0, max=1.0, help="Drop words in more than this share."
    ),
    random_state: int = typer.Option(
        0, "--seed", "--random-state", help="Random seed; the same seed gives the same topics."
    ),
    terms: int = typer.Option(8, "--terms", min=1, help="Top terms shown per topic."),
    as_json: bool = typer.Option(False, "--json", help="Print the topic summary as JSON."),
) -> None:
    """Fit LDA, NMF or theme-seeded topics, print them, and write the tables with --out."""
    import warnings

    from govtext.topics import TopicWarning, topic_tables, topics_from_paths, write_topic_tables

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
        written = {}
        if out is not None:
            written = write_topic_tables(tables, out)
            model.save(out / "model")
            (out / "topics.json").write_text(
                json.dumps(model.settings(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
    notes = [str(w.message) for w in caught if issubclass(w.category, TopicWarning)]
    if as_json:
        payload = {
            "settings": model.settings(),
            "topics": tables["topic_summary"].to_dict(orient="records"),
            "warnings": notes,
            "written": {name: str(p) for name, p in written.items()},
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    _render(model, tables, notes, written, len(corpus))


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
