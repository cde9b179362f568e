"""Reasons name a setting as the library spells it (manifest.csv, notebooks); the command
line shows its own option for that setting instead, and keeps the name where it has none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govtext.cli import app
from govtext.cli.common import with_flags
from govtext.errors import InputError, setting
from govtext.ingest import read_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def report_csv(provincial_dir: Path) -> Path:
    """A real provincial report: its text is in 'full_text', there is no 'body' column."""
    return sorted(provincial_dir.glob("*.csv"))[0]


@pytest.fixture()
def cut_gb18030(seed_page: Path, tmp_path: Path) -> Path:
    """The real seed page saved as GB18030 and cut inside its last character."""
    data = seed_page.read_text(encoding="utf-8").rstrip().encode("gb18030")
    path = tmp_path / "seed_gb18030.txt"
    path.write_bytes(data[:-1])
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_setting_flags_library_reason_names_the_setting(report_csv: Path) -> None:
    corpus = read_corpus([report_csv], text_column="body")
    (record,) = corpus.files
    assert record.status == "failed"
    assert "'body'" in record.reason and "'full_text'" in record.reason
    assert "set `text_column` to one of them" in record.reason and "--" not in record.reason
    # the rows of manifest.csv, which scholars' scripts and notebooks read
    assert list(corpus.manifest()["reason"]) == [record.reason]


@pytest.mark.parametrize("command", ["segment", "tag", "run"])
def test_cli_setting_flags_commands_show_the_option(report_csv: Path, tmp_path: Path, command: str) -> None:
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    code, _, err = _invoke(command, str(report_csv), "--text-column", "body", *extra)
    assert code == 1
    assert "no column named 'body'" in err and "set --text-column to one of them" in err
    assert "`text_column`" not in err


def test_cli_setting_flags_ingest_table_shows_the_option_json_the_setting(cut_gb18030: Path) -> None:
    code, out, _ = _invoke("ingest", str(cut_gb18030), "--encoding", "utf-8", "--json")
    (record,) = json.loads(out)["files"]
    assert code == 0 and record["status"] == "read" and "U+FFFD" in record["reason"]
    assert "set `encoding` to the right one" in record["reason"]  # the library's words, for scripts
    code, out, _ = _invoke("ingest", str(cut_gb18030), "--encoding", "utf-8")
    flat = " ".join(out.split())  # the table folds long reasons over lines
    assert code == 0 and "set --encoding to the right one" in flat and "`encoding`" not in flat


def test_cli_setting_flags_a_command_without_the_option_keeps_the_name(cut_gb18030: Path) -> None:
    # segment has no --encoding: the reason keeps the setting's name (the pipeline file's)
    code, _, err = _invoke("segment", str(cut_gb18030))
    assert code == 0
    assert "U+FFFD" in err and "set `encoding` to the right one" in err and "--encoding" not in err


def test_cli_setting_flags_option_errors_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_corpus([tmp_path], extract_timeout=0)
    assert caught.value.param == "extract_timeout" and str(caught.value).startswith("extract_timeout: ")
    code, _, err = _invoke("ingest", str(tmp_path), "--extract-timeout", "0")
    assert code == 1 and "govtext ingest: error: --extract-timeout: must be a positive number" in err


def test_cli_setting_flags_with_flags_replaces_only_known_settings() -> None:
    said = f"raise {setting('max_depth')} or {setting('text_column')}; see `apt-get install x`"
    assert with_flags(said) == "raise `max_depth` or --text-column; see `apt-get install x`"
    assert with_flags(said, {"max_depth": "--max-depth"}).startswith("raise --max-depth or --text-column")


def test_cli_setting_flags_report_font_error_shows_the_option(seed_page: Path, tmp_path: Path) -> None:
    import matplotlib

    from govtext.errors import ConfigError
    from govtext.report.fonts import find_cjk_font

    latin = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")  # no Chinese glyphs
    with pytest.raises(ConfigError, match="set `font` to a font file"):
        find_cjk_font(latin)
    out = str(tmp_path / "report")
    code, _, err = _invoke(
        "report", str(seed_page), "--by", "year", "--format", "md", "--font", latin, "--out", out
    )
    assert code == 1 and "no Chinese glyphs" in err and "set --font to a font file" in err
    assert "`font`" not in err
