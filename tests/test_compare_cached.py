"""compare_run with a store: the tables of the same inputs are loaded, not made (issue 20)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import make_result

from govtext.compare.cached import compare_run
from govtext.segment import Segmenter
from govtext.store import Store


@pytest.fixture(scope="module")
def run_inputs():
    result = make_result()
    seg = Segmenter()
    return result, [seg.tokens(d) for d in result.corpus.documents]


@pytest.fixture
def made(monkeypatch) -> list[int]:
    """How many times the tables were made (term counts taken)."""
    import govtext.compare as package

    calls: list[int] = []
    real = package.compare_all

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(package, "compare_all", counting)
    return calls


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
        assert a[name].attrs == b[name].attrs, name


def test_compare_cached_same_inputs_load_the_tables(tmp_path: Path, run_inputs, made) -> None:
    result, tokens = run_inputs
    plain = compare_run(result, tokens, stopwords={"的"})
    with Store(tmp_path / "s.duckdb") as store:
        first = compare_run(result, tokens, stopwords={"的"}, cache=store)
        again = compare_run(result, tokens, stopwords={"的"}, cache=store)
    assert len(made) == 2  # the plain run and the first cached one; the second loaded
    _same(first, plain)
    _same(again, plain)
    assert "trend" in again and "keyness" in again


def test_compare_cached_lets_go_of_the_tokens_it_is_handed(tmp_path: Path, run_inputs) -> None:
    result, tokens = run_inputs
    plain = compare_run(result, tokens, stopwords={"的"})
    assert len(tokens)  # not emptied unless asked
    handed = list(tokens)
    _same(compare_run(result, handed, stopwords={"的"}, let_go=True), plain)
    assert handed == []  # counted, then let go of (the run's peak is after the count)
    with Store(tmp_path / "s.duckdb") as store:
        compare_run(result, list(tokens), stopwords={"的"}, cache=store)
        handed = list(tokens)
        _same(compare_run(result, handed, stopwords={"的"}, cache=store, let_go=True), plain)
    assert handed == []  # loaded from the store: let go of all the same


@pytest.mark.parametrize("change", ["text", "hits", "stopwords", "threshold"])
def test_compare_cached_changed_input_makes_them_afresh(
    tmp_path: Path, run_inputs, made, change: str
) -> None:
    result, tokens = run_inputs
    with Store(tmp_path / "s.duckdb") as store:
        compare_run(result, tokens, cache=store)
        other, stop, chars = result, (), 0
        if change == "text":
            docs = list(result.corpus.documents)
            docs[0] = dataclasses.replace(docs[0], text=docs[0].text + "。")
            other = dataclasses.replace(result, corpus=dataclasses.replace(result.corpus, documents=docs))
        elif change == "hits":
            other = dataclasses.replace(result, hits=result.hits.iloc[1:].reset_index(drop=True))
        elif change == "stopwords":
            stop = ("治理",)
        else:
            chars = 10
        fresh = compare_run(other, tokens, stopwords=stop, min_group_chars=chars, cache=store)
    assert len(made) == 2
    _same(fresh, compare_run(other, tokens, stopwords=stop, min_group_chars=chars))


def test_drained_lets_go_of_each_item_as_it_is_handed_on() -> None:
    from govtext.compare.cached import _drained

    items: list = ["a", "b", "c"]
    seen = [(x, list(items)) for x in _drained(items, every=2)]
    assert [x for x, _ in seen] == ["a", "b", "c"]
    assert seen[1][1] == [None, None, "c"]  # the list no longer holds what was handed on
    assert items == [None, None, None]
