"""The content of the report page, shared by the HTML and the Markdown renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from govtext.report.evidence import doc_anchor
from govtext.report.render import (
    EvidenceTheme,
    Table,
    evidence_sections,
    fmt,
    heat_table,
    table_from_frame,
)

if TYPE_CHECKING:
    import pandas as pd

    from govtext.results import RunResult

TEMPLATES = Path(__file__).parent / "templates"
MAX_DOCUMENTS_PAGE = 2000

# What each named table is, for headings and the Markdown/HTML appendix.
TITLES = {
    "theme_density": "Theme density and share of documents by group",
    "framework_balance": "Framework balance by group",
    "keyness": "Distinctive terms by group (keyness)",
    "topics": "Topics",
    "topic_prevalence": "Topic prevalence by group",
    "similarity": "Similarity between groups",
    "cooccurrence": "Theme co-occurrence",
    "trend": "Theme density over time",
    "evidence": "Evidence sentences",
    "documents": "Documents",
    "files": "Input files",
}


@dataclass
class BalanceRow:
    group: str
    segments: list[tuple[str, float, str, str]]  # name, share, colour, label
    total: int


@dataclass
class BalancePanel:
    framework: str
    name: str
    legend: list[tuple[str, str]]
    rows: list[BalanceRow]
    n_empty: int = 0  # groups with no hit of the framework, not drawn


@dataclass
class KeynessCard:
    group: str
    table: Table


@dataclass
class Page:
    title: str
    by: str
    time_field: str | None
    summary: list[tuple[str, str]]
    warnings: list[str]
    notes: list[str]
    density: Table | None
    share: Table | None
    balance: list[BalancePanel]
    trend_svg: Markup | None
    keyness: list[KeynessCard]
    keyness_compact: Table | None
    topics: list[Table]
    similarity: Table | None
    cooccurrence: Table | None
    evidence: list[EvidenceTheme]
    documents: Table
    doc_anchors: list[str]
    files: Table | None
    methods: list[tuple[str, list[tuple[str, str]]]]
    appendix: list[Table]
    font: str | None
    export_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Sections made elsewhere, already escaped HTML (govtext.validate's figures)
    extra_html: tuple[str, ...] = ()

    @property
    def sections(self) -> list[tuple[str, str]]:
        out = [("themes", "Themes by group"), ("balance", "Framework balance")]
        if self.trend_svg is not None:
            out.append(("trend", "Trends"))
        if self.keyness or self.keyness_compact:
            out.append(("keyness", "Distinctive terms"))
        if self.topics:
            out.append(("topics", "Topics"))
        if self.similarity is not None:
            out.append(("similarity", "Similarity"))
        if self.cooccurrence is not None:
            out.append(("cooccurrence", "Co-occurrence"))
        out += [
            ("evidence", "Evidence"),
            ("documents", "Documents"),
            *([("validation", "Validation")] if self.extra_html else []),
            ("methods", "Methods"),
            ("tables", "All tables"),
        ]
        return out


def build_page(
    result: RunResult,
    tables: dict[str, pd.DataFrame],
    evidence: pd.DataFrame,
    groups: list[str],
    info: dict[str, Any],
    svgs: dict[str, str],
    title: str | None = None,
    *,
    n_groups: int | None = None,
) -> Page:
    import pandas as pd

    from govtext.compare import name_group
    from govtext.report import charts

    themes = result.themes
    names = dict(zip(themes["theme"], themes["name"], strict=True))
    density, share = _density_tables(tables, result, names, groups)
    trend_svg = None
    if "trend" in svgs:
        # Our own matplotlib output (text escaped by matplotlib), so it is markup, not data.
        trend_svg = Markup(charts.inline_svg(svgs["trend"]))
    keyness, keyness_compact = _keyness_section(tables, result.by, groups)
    titles = dict(
        zip(result.documents["doc_id"].astype(str), result.documents.get("title", ""), strict=False)
    )
    # a missing title (NA) shows as none, not as "nan"
    ev = evidence_sections(
        evidence, themes, groups, {k: "" if pd.isna(v) else str(v) for k, v in titles.items()}
    )
    docs, listed, notes = _documents(result, evidence)
    if n_groups is not None and n_groups > len(groups):
        notes.append(
            f"{n_groups:,} groups: the page shows the {len(groups)} largest (most documents, then characters); "
            "the CSV and Excel tables have every group."
        )
    files_table = None
    manifest = result.corpus.manifest() if result.corpus is not None else None
    if manifest is not None and len(manifest):
        files_table = table_from_frame("files", "Input files", manifest, max_rows=100_000)

    ev_export = evidence.drop(columns=["spans"]) if "spans" in evidence.columns else evidence
    # exported like every table: the grouping field under its own name, typed (compared by
    # document, the group is the doc_id column already there)
    if result.by == "doc_id":
        ev_export = ev_export.drop(columns=["group"])
    else:
        ev_export = name_group(ev_export, result.by, "evidence")
    export = {"evidence": ev_export, "documents": docs}
    if manifest is not None:
        export["files"] = manifest
    return Page(
        # what was compared, not only the pipeline's name ("default" says nothing)
        title=title or f"{result.name} · 按 {result.by} 比较 · {len(result.documents):,} 篇文档",
        by=result.by,
        time_field=result.time_field,
        summary=_summary(result, info),
        warnings=list(info.get("warnings", [])),
        notes=notes,
        density=density,
        share=share,
        balance=_balance_panels(tables, result.by, groups),
        trend_svg=trend_svg,
        keyness=keyness,
        keyness_compact=keyness_compact,
        topics=[_topic_table(k, v, result.by, groups) for k, v in tables.items() if k.startswith("topic")],
        similarity=_similarity_table(tables, result.by, groups),
        cooccurrence=_cooccurrence_table(tables, names, list(themes["theme"]), len(result.documents)),
        evidence=ev,
        documents=table_from_frame("documents", "Documents", listed, max_rows=MAX_DOCUMENTS_PAGE),
        doc_anchors=[doc_anchor(str(d)) for d in listed["doc_id"]],
        files=files_table,
        methods=methods_appendix(info),
        appendix=[table_from_frame(k, TITLES.get(k, k), v, max_rows=1000) for k, v in tables.items()],
        font=(info.get("report") or {}).get("font"),
        export_tables=export,
    )


def _labelled(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with a ``row_label`` column: tables hold the field typed (a year is a
    number, a missing value NA); the page matches rows to its group labels, which are text."""
    from govtext.compare import group_text

    return frame.assign(row_label=group_text(frame[column]))


def _framework_spans(themes: pd.DataFrame) -> list[tuple[str, int]]:
    """The framework heading over each run of its themes' columns: (name, columns)."""
    spans: list[tuple[str, int]] = []
    if "framework_name" in themes.columns:
        for fw_name in themes["framework_name"].astype(str):
            if spans and spans[-1][0] == fw_name:
                spans[-1] = (fw_name, spans[-1][1] + 1)
            else:
                spans.append((fw_name, 1))
    return spans


def _density_tables(
    tables: dict[str, pd.DataFrame], result: RunResult, names: dict[str, str], groups: list[str]
) -> tuple[Table | None, Table | None]:
    """The heat tables of theme density and of the share of documents (None without them)."""
    if "theme_density" not in tables:
        return None, None
    theme_ids = list(result.themes["theme"])
    spans = _framework_spans(result.themes)
    td = _labelled(tables["theme_density"], result.by)
    by_label = f"{result.by} \\ theme"
    # Hover text: the counts and interval behind each rate.
    tips = [
        f"{r.name}: {int(r.hits)} hits in {int(r.chars):,} characters ({int(r.n_docs)} documents); "
        f"95% CI {r.ci_low:.2f}–{r.ci_high:.2f}"
        for r in td.itertuples(index=False)
    ]
    density = heat_table(
        "density", "Hits per 10,000 characters", td.assign(col=td["theme"].map(names), tip=tips),
        row="row_label", col="col", value="density_per_10k", col_order=[names[t] for t in theme_ids],
        row_order=groups, corner=by_label, spans=spans, tip="tip",
        note="Colour is scaled within each theme (column), so rare and common themes are both readable; "
        "Hover over a cell for its hits and 95% Poisson interval (all are in the theme_density table).",
    )  # fmt: skip
    # With one document per group every share is 0 or 100%: the table would say nothing.
    per_group = td.drop_duplicates("row_label")["n_docs"]
    if bool(len(per_group)) and float(per_group.median()) <= 1:
        return density, None
    share = heat_table(
        "share", "Share of documents mentioning the theme", td.assign(col=td["theme"].map(names)),
        row="row_label", col="col", value="share_docs", col_order=[names[t] for t in theme_ids],
        row_order=groups, per_column=False, percent=True, corner=by_label, spans=spans,
        note="Colour on one scale from 0 to 100%; Wilson intervals are in the theme_density table.",
    )  # fmt: skip
    return density, share


def _balance_panels(tables: dict[str, pd.DataFrame], by: str, groups: list[str]) -> list[BalancePanel]:
    """One stacked-bar panel per framework: each group's hits split among its themes."""
    from govtext.report.charts import PALETTE

    balance: list[BalancePanel] = []
    if "framework_balance" not in tables:
        return balance
    fb = _labelled(tables["framework_balance"], by)
    for fw in dict.fromkeys(fb["framework"]):
        sub = fb[fb["framework"] == fw]
        tnames = list(dict.fromkeys(sub["name"]))
        colours = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(tnames)}
        rows = []
        for g in groups:
            gs = sub[sub["row_label"] == g]
            segs = [
                (
                    str(r.name),
                    float(r.share),
                    colours[r.name],
                    f"{r.name} {fmt(float(r.share), 'share')} ({int(r.hits)})",
                )
                for r in gs.itertuples(index=False)
                if r.framework_hits > 0
            ]
            total = int(gs["framework_hits"].max()) if len(gs) else 0
            if total:
                rows.append(BalanceRow(g, segs, total))
        fname = str(sub["framework_name"].iloc[0]) if len(sub) else str(fw)
        balance.append(BalancePanel(str(fw), fname, list(colours.items()), rows, len(groups) - len(rows)))
    return balance


def _keyness_section(
    tables: dict[str, pd.DataFrame], by: str, groups: list[str]
) -> tuple[list[KeynessCard], Table | None]:
    """A card per group, or (many groups) one compact table of top terms."""
    keyness: list[KeynessCard] = []
    if "keyness" not in tables or not len(tables["keyness"]):
        return keyness, None
    kt = _labelled(tables["keyness"], by)
    if len(groups) > 12:
        # Many groups (years): one line per group keeps the section readable.
        lines = []
        for g in groups:
            sub = kt[kt["row_label"] == g].head(10)
            if len(sub):
                terms = "  ".join(f"{r.term} ({r.log_ratio:.1f})" for r in sub.itertuples(index=False))
                lines.append([g, terms])
        return keyness, Table("keyness-compact", "Top terms by group", [by, "terms (log ratio)"], lines)
    for g in groups:
        sub = kt[kt["row_label"] == g].head(12)
        if len(sub):
            shown = sub[["term", "G2", "log_ratio", "count_target", "p_adj"]]
            keyness.append(KeynessCard(g, table_from_frame(f"keyness-{g}", g, shown)))
    return keyness, None


def _similarity_table(tables: dict[str, pd.DataFrame], by: str, groups: list[str]) -> Table | None:
    if "similarity" not in tables or not len(tables["similarity"]):
        return None
    long = _labelled(
        _labelled(tables["similarity"], f"{by}_other").rename(columns={"row_label": "col_label"}), by
    )
    sg = [g for g in dict.fromkeys(long["row_label"]) if g in set(groups)]
    return heat_table(
        "similarity", "Cosine similarity of TF-IDF term profiles", long, row="row_label", col="col_label",
        value="cosine", col_order=sg, row_order=sg, per_column=False, skip_diagonal=True,
        note="Colour runs from the least to the most similar pair of different groups; the diagonal is grey.",
    )  # fmt: skip


def _cooccurrence_table(
    tables: dict[str, pd.DataFrame], names: dict[str, str], theme_ids: list[str], n_documents: int
) -> Table | None:
    import pandas as pd

    if "cooccurrence" not in tables or not len(tables["cooccurrence"]):
        return None
    co = tables["cooccurrence"]
    both = co.rename(columns={"theme_a": "x", "theme_b": "y"})
    mirror = co.rename(columns={"theme_a": "y", "theme_b": "x"})
    long = pd.concat([both, mirror], ignore_index=True)
    long["x"] = long["x"].map(names)
    long["y"] = long["y"].map(names)
    unit = "paragraphs" if int(co["n_units"].iloc[0]) > n_documents else "documents"
    tn = [names[t] for t in theme_ids]
    return heat_table(
        "cooccurrence", f"Jaccard index of the {unit} carrying each pair of themes", long,
        row="x", col="y", value="jaccard", col_order=tn, row_order=tn, per_column=False, corner="theme",
    )  # fmt: skip


def _documents(result: RunResult, evidence: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The documents table (every document, for export), the rows the page lists, and a note
    when they are not all."""
    import pandas as pd

    from govtext.compare import group_labels

    labels = group_labels(result.documents, result.by)
    hits_per_doc = result.hits.groupby("doc_id").size() if len(result.hits) else None
    doc_cols = [
        c
        for c in ("doc_id", "title", "authors", "date", result.by, result.time_field, "n_chars", "path")
        if c
    ]
    doc_cols = list(dict.fromkeys(c for c in doc_cols if c in result.documents.columns))
    docs = result.documents[doc_cols].copy()
    if result.by not in docs.columns:
        docs[result.by] = docs["doc_id"].map(labels)
    if "path" in docs.columns:
        docs["path"] = docs["path"].map(lambda p: Path(p).name if isinstance(p, str) and p else pd.NA)
    docs["hits"] = docs["doc_id"].map(hits_per_doc).fillna(0).astype(int) if hits_per_doc is not None else 0
    if len(docs) <= MAX_DOCUMENTS_PAGE:
        return docs, docs, []
    # A page listing 100,000 documents is no use; list the ones the evidence cites.
    cited = set(evidence["doc_id"].astype(str)) if len(evidence) else set()
    listed = docs[docs["doc_id"].astype(str).isin(cited)]
    note = (
        f"{len(docs):,} documents: only the {len(listed):,} cited as evidence are listed here; "
        "all are in the documents table (CSV, Excel)."
    )
    return docs, listed, [note]


def _summary(result: RunResult, info: dict[str, Any]) -> list[tuple[str, str]]:
    counts = info["counts"]
    summary = [
        ("compared by", result.by),
        ("documents", str(counts["documents"])),
        ("groups", str(counts["groups"])),
        ("characters", f"{counts['characters']:,}"),
        ("theme hits", f"{counts['hits']:,}"),
        (
            "files",
            f"{counts['files_read']} read, {counts['files_skipped']} skipped, {counts['files_failed']} failed",
        ),
    ]
    if result.time_field:
        summary.insert(1, ("time field", result.time_field))
    return summary


def _topic_table(key: str, frame: pd.DataFrame, by: str, groups: list[str]) -> Table:
    """Topic tables as given, except prevalence in long form, which reads better as groups × topics."""
    cols = set(frame.columns)
    if by in cols and {"topic", "prevalence"} <= cols:
        from govtext.compare import group_text

        label = frame["label"].astype(str) if "label" in cols else frame["topic"].astype(str)
        long = frame.assign(
            col=[f"{t} {lab}" for t, lab in zip(frame["topic"], label, strict=True)],
            row=group_text(frame[by]),
        )
        col_order = list(dict.fromkeys(long.sort_values("topic")["col"]))
        row_order = [g for g in groups if g in set(long["row"])] or list(dict.fromkeys(long["row"]))
        return heat_table(
            key, "Mean topic share by group", long, row="row", col="col", value="prevalence",
            col_order=col_order, row_order=row_order, per_column=True, percent=True,
            corner=f"{by} \\ topic", note="Colour is scaled within each topic (column).",
        )  # fmt: skip
    return table_from_frame(key, TITLES.get(key, key), frame, max_rows=200)


def _env(markdown: bool = False) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from govtext.report.render import md_code, md_escape

    # HTML: autoescape everywhere, document text is data, never markup or template code.
    # Markdown: no HTML escaping by Jinja; every text goes through the |md filter instead.
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=not markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["md_code"] = md_code
    return env


def render_html(page: Page) -> str:
    import govtext

    return str(_env().get_template("report.html.j2").render(page=page, version=govtext.__version__))


def render_markdown(page: Page) -> str:
    import govtext

    return str(
        _env(markdown=True).get_template("report.md.j2").render(page=page, version=govtext.__version__)
    )


def methods_appendix(info: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The facts a methods section cites, in sections a reader can scan (corpus, dictionary,
    segmentation, topics, software, timings); run.json, linked beside it, holds the rest."""
    settings = info.get("settings") or {}
    dictionary = settings.get("dictionary") or {}
    segmenter = settings.get("segmenter") or {}
    topics = settings.get("topics") or {}
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        ("Corpus", _corpus_facts(info)),
        (
            "Theme dictionary",
            [
                ("hash", str(dictionary.get("hash") or dictionary.get("sha256") or "—")),
                ("files", ", ".join(Path(str(p)).name for p in dictionary.get("sources", [])) or "—"),
                (
                    "frameworks / themes",
                    f"{dictionary.get('frameworks', '—')} / {dictionary.get('themes', '—')}",
                ),
                ("hits", _count(info, "hits")),
                ("measured validity", _validity_line(str(dictionary.get("hash") or ""))),
            ],
        ),
        (
            "Segmentation",
            [
                ("segmenter", "jieba (rjieba) with the governance user dictionary"),
                ("HMM for unknown words", "on" if segmenter.get("hmm") else "off"),
                ("user dictionaries", ", ".join(map(str, segmenter.get("user_dicts") or [])) or "none"),
                ("settings hash", str(segmenter.get("settings_hash", "—"))),
            ],
        ),
    ]
    if topics:
        shown = ("component", "method", "unit", "k_chosen", "k_rule", "c_v", "diversity", "random_state")
        sections.append(("Topics", [(k, str(topics[k])) for k in shown if k in topics]))
    packages = settings.get("packages") or {}
    sections.append(
        (
            "Software",
            [
                ("govtext", str(settings.get("govtext", "—"))),
                ("Python", str(settings.get("python", "—"))),
                ("packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items())) or "—"),
                ("started", str(settings.get("started", "—"))),
            ],
        )
    )
    timings = settings.get("timings_s") or {}
    if timings:
        # One row whose label names the run.json key: times change from run to run, and a
        # comparison of two reports leaves out the lines that name timings_s or started.
        shown_t = "; ".join(f"{k} {float(v):.2f}" for k, v in timings.items())
        sections[-1][1].append(("stage seconds (timings_s)", shown_t))
    return sections


def _count(info: dict[str, Any], key: str) -> str:
    value = (info.get("counts") or {}).get(key)
    return f"{value:,}" if isinstance(value, int) else "—"


def _corpus_facts(info: dict[str, Any]) -> list[tuple[str, str]]:
    pipeline = (info.get("settings") or {}).get("pipeline") or {}
    compare = pipeline.get("compare") or {}

    def n(key: str) -> str:
        return _count(info, key)

    return [
        ("documents", n("documents")),
        ("characters", n("characters")),
        (
            "files",
            f"{n('files')} ({n('files_read')} read, {n('files_skipped')} skipped, {n('files_failed')} failed)",
        ),
        ("compared by", str(info.get("by") or "—")),
        ("time field", str(info.get("time_field") or "—")),
        ("documents compared", " and ".join(compare.get("where") or []) or "all"),
        (
            "small groups",
            f"under {compare.get('min_group_chars', 0):,} characters or {compare.get('min_group_docs', 0)} "
            "document(s): flagged, left out of trends",
        ),
        ("corpus hash", str(info.get("corpus_hash") or "—")),
    ]


def _validity_line(dictionary_hash: str) -> str:
    """The shipped dictionary's never-tuned figures, for the methods section; other rules
    have none (a user's own dictionary must be validated on their corpus: govtext validate)."""
    from govtext.themes.dictionary import shipped_validity

    v = shipped_validity(dictionary_hash)
    if v is None:
        return "not measured for this dictionary: check it on your corpus with govtext validate (docs/validity.md)"
    m, n = v["test"]["micro"], v["test"]["paragraphs"]
    return (
        f"micro precision {m['precision']:.2f} [{m['precision_ci'][0]:.2f}, {m['precision_ci'][1]:.2f}], "
        f"recall {m['recall']:.2f}, F1 {m['f1']:.2f} [{m['f1_ci'][0]:.2f}, {m['f1_ci'][1]:.2f}] on {n:,} paragraphs "
        "the rules were never tuned on, labelled blind by two coders (per theme and genre: docs/validity.md)"
    )
