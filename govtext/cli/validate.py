"""``govtext validate sample|score|report``: check the dictionary against people's codes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import library_errors

validate_app = typer.Typer(
    help="Validate the dictionary: draw a coding sample, score it against the codes, report."
)


class Unit(StrEnum):
    paragraph = "paragraph"
    sentence = "sentence"


class Stratify(StrEnum):
    theme = "theme"
    group = "group"
    none = "none"


class Gold(StrEnum):
    coder1 = "coder1"
    majority = "majority"
    both = "both"


def register(app: typer.Typer) -> None:
    app.add_typer(validate_app, name="validate")


@validate_app.command(
    "sample",
    epilog="Example: govtext validate sample ../shared/corpus/provincial-reports-2026 --n 300 --out reports/coding.xlsx",
)
def sample_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to draw units from.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The coding workbook to write (.xlsx).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Units to draw.")] = 300,
    unit: Annotated[Unit, typer.Option("--unit", help="What a coder codes.")] = Unit.paragraph,
    stratify: Annotated[
        Stratify, typer.Option("--stratify", help="Strata: predicted theme, a group field, or none.")
    ] = Stratify.theme,
    by: Annotated[str | None, typer.Option("--by", help="The document field for --stratify group.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random draw.")] = 0,
    coders: Annotated[int, typer.Option("--coders", min=1, max=20, help="Coder sheets to write.")] = 2,
    dictionary: Annotated[
        Path | None, typer.Option("--dictionary", "-d", help="Theme dictionary TOML (default: shipped).")
    ] = None,
    extra: Annotated[
        list[Path] | None, typer.Option("--extra", help="Extra dictionary files (repeatable).")
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/XLSX/JSON files.")
    ] = None,
) -> None:
    """Draw units stratified by predicted theme and write a blind coding workbook."""
    from govtext.validate import sample

    with library_errors("validate sample"):
        s = sample(
            paths, out, n, unit=unit.value, stratify=stratify.value, by=by, seed=seed, coders=coders,
            dictionary=dictionary, extra=extra or (), text_column=text_column,
        )  # fmt: skip
    strata = s.units["stratum"].nunique() if len(s.units) else 0
    typer.echo(
        f"{len(s.units)} of {s.population} {unit.value}s in {strata} strata → {out} (sheets: {', '.join(s.coders)})"
    )


@validate_app.command(
    "score",
    epilog="Example: govtext validate score reports/coding.xlsx --gold majority --out reports/scores.json",
)
def score_cmd(
    workbook: Annotated[Path, typer.Argument(help="The filled coding workbook.")],
    csv: Annotated[
        list[Path] | None,
        typer.Option("--csv", help="A coder's codes as CSV, named after the coder (repeatable)."),
    ] = None,
    dictionary: Annotated[
        Path | None, typer.Option("--dictionary", "-d", help="Theme dictionary to score (default: shipped).")
    ] = None,
    extra: Annotated[
        list[Path] | None, typer.Option("--extra", help="Extra dictionary files (repeatable).")
    ] = None,
    gold: Annotated[
        Gold, typer.Option("--gold", help="Gold rule: coder1, majority (2 coders: either), both.")
    ] = Gold.majority,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=100, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the scores (JSON).")] = Path(
        "scores.json"
    ),
) -> None:
    """Check the codes, measure agreement, and score the dictionary with 95% intervals."""
    from govtext.validate import score
    from govtext.validate.report import markdown_table

    with library_errors("validate score"):
        r = score(workbook, csv=csv or (), dictionary=dictionary, extra=extra or (), gold=gold.value,
                  n_boot=bootstrap, seed=seed, out=out)  # fmt: skip
    cols = [
        "theme",
        "precision",
        "precision_low",
        "precision_high",
        "recall",
        "recall_low",
        "recall_high",
        "f1",
    ]
    typer.echo(markdown_table(r.scores[cols]))
    typer.echo(f"scores → {out}")


@validate_app.command(
    "report", epilog="Example: govtext validate report reports/scores.json --out reports/validation"
)
def report_cmd(
    scores: Annotated[Path, typer.Argument(help="The scores.json of validate score.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the tables.")],
) -> None:
    """Write the figures as CSV, Markdown and XLSX, with the false positives and negatives."""
    from govtext.validate import write_report

    with library_errors("validate report"):
        written = write_report(scores, out)
    for p in written:
        typer.echo(str(p))
