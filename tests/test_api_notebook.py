"""The notebook API: tag a string, a list or a DataFrame column; short reprs; public names
visible; a document-feature matrix; kwic and figures; the scholar's notebook run for real."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import govtext
from govtext.documents import Corpus, as_corpus
from govtext.errors import GovtextError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def proposals(shared_corpus: Path) -> pd.DataFrame:
    return pd.read_csv(shared_corpus / "jiangsu-cppcc-2022" / "jszx2022.csv")


def test_api_public_names_are_discoverable() -> None:
    names = dir(govtext)
    for name in ("read_corpus", "tag", "analyze", "kwic", "dfm", "plot_density", "as_corpus", "Corpus"):
        assert name in names
    assert "import_module" not in names and "annotations" not in names
    assert "tag" in (govtext.__doc__ or "") and "read_corpus" in (govtext.__doc__ or "")
    assert (ROOT / "govtext" / "py.typed").is_file()
    for name in names:
        assert getattr(govtext, name) is not None  # every listed name resolves
    import importlib

    for module in ("govtext.concordance", "govtext.features"):
        importlib.import_module(module)  # importing a module must not shadow a function

    assert callable(govtext.kwic) and callable(govtext.dfm)


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        ("推进居民自治。", ["text1"]),
        (["推进居民自治。", "坚持依法治理。"], ["text1", "text2"]),
        (pd.Series(["推进居民自治。"], index=["a"]), ["a"]),
        (pd.DataFrame({"id": ["x", "y"], "text": ["推进居民自治。", "坚持依法治理。"]}), ["x", "y"]),
    ],
    ids=["str", "list", "series", "frame"],
)
def test_api_tag_takes_what_a_notebook_holds(data: object, ids: list[str]) -> None:
    tagged = govtext.tag(data)
    assert list(tagged.documents["doc_id"]) == ids
    hit = tagged.scores[tagged.scores["hits"] > 0]
    assert "self_governance" in set(hit["theme"])
    assert set(hit.loc[hit["theme"] == "self_governance", "name"]) == {"自治"}


def test_api_tag_frame_keeps_metadata_and_says_what_is_wrong() -> None:
    frame = pd.DataFrame({"content": ["推进居民自治。"], "type": ["社会事业"], "year": [2022.0]})
    doc = as_corpus(frame, text_column="content").documents[0]
    assert dict(doc.meta) == {"type": "社会事业", "year": "2022"}
    with pytest.raises(GovtextError, match=r"no column .text.*content"):
        govtext.tag(frame)
    with pytest.raises(GovtextError, match="duplicate"):
        Corpus.from_texts(["a", "b"], ids=["1", "1"])
    with pytest.raises(GovtextError, match="cannot make a corpus"):
        as_corpus(42)


def test_api_reprs_are_short(national_file: Path) -> None:
    corpus = govtext.read_corpus([national_file])
    assert len(repr(corpus)) < 400 and "documents" in repr(corpus)
    assert len(corpus._repr_html_()) < 20_000
    tagged = govtext.tag(corpus)
    assert len(repr(tagged)) < 200 and len(tagged._repr_html_()) < 20_000
    m = govtext.dfm(corpus)
    assert len(repr(m)) < 200


def test_api_paragraph_table_matches_hits() -> None:
    tagged = govtext.tag(["坚持党建引领。\n推进居民自治。\n广西壮族自治区"])
    assert tagged.paragraphs is not None
    rows = tagged.paragraphs[["paragraph_index", "theme"]].values.tolist()
    assert rows == [[0, "party_building"], [1, "self_governance"]]


def test_api_dfm_counts_groups_and_trims() -> None:
    frame = pd.DataFrame(
        {
            "text": ["社区开展居民议事，推动居民自治。", "居民自治。居民自治。", "居民议事。"],
            "author": ["甲、乙", "乙", "丙"],
        }
    )
    m = govtext.dfm(frame)
    dense = pd.DataFrame(m.matrix.toarray(), columns=m.features, index=list(m.docs["doc_id"]))
    assert dense.loc["text2", "居民自治"] == 2 and dense.loc["text3", "居民议事"] == 1
    assert dense.loc["text1"].sum() == 3  # 社区, 居民议事, 居民自治: punctuation and stopwords out
    g = m.group("authors")
    totals = pd.DataFrame(g.matrix.toarray(), columns=g.features, index=list(g.docs["authors"]))
    assert totals.loc["乙", "居民自治"] == 3  # a document with two authors counts for each
    assert list(g.docs["n_documents"]) == [1, 2, 1]
    assert m.trim(min_docfreq=2).features == ["居民议事", "居民自治"]
    assert m.to_frame().shape == m.shape


def test_api_kwic_is_a_frame() -> None:
    table = govtext.kwic(["广西壮族自治区推进村民自治。"], "自治")
    assert list(table["status"]) == ["vetoed", "counted"]
    assert table.loc[0, "reason"] == "exclude_overlap:自治区"


def test_api_plot_density_draws_chinese_without_warnings() -> None:
    import matplotlib

    matplotlib.use("Agg")
    tagged = govtext.tag(pd.DataFrame({"text": ["推进居民自治。", "坚持依法治理。"], "kind": ["甲", "乙"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns: it must not
        fig = govtext.plot_density(tagged, by="kind")
        fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "自治" in labels and "法治" in labels


@pytest.mark.slow
def test_api_scholar_notebook_runs(tmp_path: Path, shared_corpus: Path) -> None:
    import os

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "docs" / "notebooks" / "jiangsu_proposals.ipynb", as_version=4)
    os.environ["GOVTEXT_SHARED_CORPUS"] = str(shared_corpus)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = {
        i: "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in c.outputs)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
    }
    assert "630 documents" in outputs[2]  # every proposal tagged
    assert "法制建设" in outputs[3] and "rule_of_law" in outputs[3]  # law proposals lead on 法治
    assert "personnel_name" in outputs[4]  # the compared field keeps its name (no "group")
    assert "DocumentFeatureMatrix: 200 documents" in outputs[5]
    assert (tmp_path / "density.png").stat().st_size > 10_000
    n_hits, n_scores = (int(x) for x in outputs[7].strip("()\n ").split(","))
    assert n_hits > 500 and n_scores == 630 * 12
    assert "自治" in outputs[9]


def test_api_progress_bars_show_in_notebooks() -> None:
    import io

    from rich.console import Console

    from govtext.progress import stage_progress

    # stderr in Jupyter is no terminal: the bar still shows, as rich's live widget
    notebook = Console(file=io.StringIO(), force_jupyter=True, force_terminal=False)
    with stage_progress("match", total=3, console=notebook) as advance:
        advance(3)
    assert advance._progress is not None
    piped = Console(file=io.StringIO(), force_jupyter=False, force_terminal=False)
    with stage_progress("match", total=3, console=piped) as advance:
        advance(3)
    assert advance._progress is None  # a pipe or a log file gets no bar


def test_api_corpus_frame_has_na_for_blank_fields_of_text_and_object_columns(proposals: pd.DataFrame) -> None:
    from govtext.documents import tidy_fields

    corpus = as_corpus(proposals.head(200), text_column="content")
    frame = corpus.to_frame()
    for col in frame.columns:
        cells = frame[col]
        if cells.dtype == object or isinstance(cells.dtype, pd.StringDtype):
            # no empty or white-space text is left: a field a document lacks is NA
            assert not any(isinstance(v, str) and not v.strip() for v in cells), col
    # a text column (pandas' str dtype, tested at C speed) and an object column holding
    # other things beside text are both tidied cell by cell to the same rule
    raw = pd.DataFrame(
        {
            "text": pd.Series(["甲", " ", None, "", "\u3000"], dtype="str"),
            "mixed": pd.Series(["甲", " ", None, 3, ("a",)], dtype=object),
        }
    )
    tidy = tidy_fields(raw)
    assert tidy["text"].isna().tolist() == [False, True, True, True, True]
    assert tidy["mixed"].isna().tolist() == [False, True, True, False, False]
    assert tidy["text"].dtype == raw["text"].dtype
