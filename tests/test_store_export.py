"""query_store's errors: about a parameter, named by it; the command line names the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govtext.cli import app
from govtext.errors import GovtextError
from govtext.store import Store, query_store


def test_query_store_missing_store_is_an_error_about_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(GovtextError) as err:
        query_store(missing, "SELECT 1")
    assert err.value.param == "store"
    assert str(missing) in err.value.detail and "--" not in err.value.detail


def test_query_store_bad_output_suffix_is_an_error_about_out(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    Store(store).open().close()
    out = tmp_path / "result.txt"
    with pytest.raises(GovtextError) as err:
        query_store(store, "SELECT 1", out=out)
    assert err.value.param == "out"
    detail = err.value.detail
    assert str(out) in detail and ".csv" in detail and ".parquet" in detail and "--" not in detail
    assert not out.exists()


def test_read_only_store_missing_is_an_error_about_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with pytest.raises(GovtextError) as err:
        Store(missing, read_only=True).open()
    assert err.value.param == "store" and str(missing) in err.value.detail


@pytest.mark.parametrize(
    ("store_name", "out_name", "option"),
    [("missing.duckdb", "o.csv", "--store"), ("s.duckdb", "o.txt", "--out")],
)
def test_cli_sql_names_the_option_of_the_bad_value(
    tmp_path: Path, store_name: str, out_name: str, option: str
) -> None:
    Store(tmp_path / "s.duckdb").open().close()
    result = CliRunner().invoke(
        app, ["sql", "SELECT 1", "--store", str(tmp_path / store_name), "--out", str(tmp_path / out_name)]
    )
    assert result.exit_code == 1
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and f"error: {option}: " in line, result.output
