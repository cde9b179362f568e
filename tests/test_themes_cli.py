"""`govtext tag` and `govtext dict`, run through Typer's CliRunner on a local app."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govtext.cli import dict as dict_cli
from govtext.cli import kwic as kwic_cli
from govtext.cli import tag as tag_cli

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None, add_completion=False)
    for module in (tag_cli, kwic_cli, dict_cli):
        module.register(app)
    return app


ARTICLE = "社区推进居民自治，探索共建共治共享的小区治理办法。\n广西壮族自治区人民政府推动企业降本增效。\n坚持党建引领，街乡吹哨、部门报到。"


def test_themes_cli_tag_stdin_table(app: typer.Typer) -> None:
    result = runner.invoke(app, ["tag", "-"], input=ARTICLE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {
        "self_governance",
        "co_construction",
        "co_governance",
        "shared_benefits",
        "party_building",
        "whistle_report",
    }
    assert "【居民自治】" in rows["self_governance"]
    assert "effectiveness" not in result.stdout


def test_themes_cli_tag_jsonl_schema_and_ids(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "batch.jsonl"
    src.write_text(
        json.dumps({"id": "art-1", "text": ARTICLE}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "art-2", "text": "该市企业参与共建“一带一路”项目。"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["tag", str(src), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["doc_id"] for r in records] == ["art-1", "art-2"]
    assert records[1]["themes"] == []
    first = records[0]
    assert first["schema_version"] == 1
    for t in first["themes"]:
        assert set(t) >= {"theme", "name", "hits", "density", "evidence"} and t["hits"] >= 1
        for e in t["evidence"]:
            assert e["sentence"][e["start"] : e["end"]] == ARTICLE[e["char_start"] : e["char_end"]]
            assert set(e) >= {"sentence", "start", "end", "term"}
    sg = next(t for t in first["themes"] if t["theme"] == "self_governance")
    assert sg["name"] == "自治" and sg["hits"] == 1 and sg["evidence"][0]["term"] == "居民自治"


def test_themes_cli_tag_theme_filter_and_bad_dictionary(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["tag", "-", "--theme", "party_building", "--format", "jsonl"], input=ARTICLE)
    assert [t["theme"] for t in json.loads(result.stdout)["themes"]] == ["party_building"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[theme]\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", "-", "--dictionary", str(bad)], input=ARTICLE)
    assert result.exit_code == 1 and f"{bad}:1:" in result.stderr


def test_themes_cli_tag_missing_path_is_an_error(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["tag", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_themes_cli_tag_text_folder(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("完善接诉即办机制。", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(tmp_path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["themes"][0]["theme"] == "complaint_response"


def test_themes_cli_kwic_csv_reports_veto(app: typer.Typer) -> None:
    result = runner.invoke(app, ["kwic", "自治", "-", "--format", "csv"], input=ARTICLE)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.lstrip("\ufeff").splitlines()))
    assert [r["status"] for r in rows] == ["counted", "vetoed"]
    assert rows[1]["reason"] == "exclude_overlap:自治区" and rows[1]["left"].endswith("广西壮族")
    assert rows[0]["themes"] == "self_governance"


def test_themes_cli_kwic_theme_table(app: typer.Typer) -> None:
    result = runner.invoke(app, ["kwic", "effectiveness", "-"], input=ARTICLE)
    assert result.exit_code == 0, result.output
    assert "【增效】" in result.stdout and "exclude_overlap:降本增效" in result.stdout


def test_themes_cli_dict_validate_and_show(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "dup.toml"
    bad.write_text(
        'version = 1\n[[framework]]\nid = "f"\nname = "框架"\n\n[[theme]]\nid = "a"\nname = "甲"\nterms = ["x"]\n\n[[theme]]\nid = "a"\nname = "乙"\nterms = ["y"]\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["dict", "validate", str(bad), "--no-tokens"])
    assert result.exit_code == 1
    assert f"{bad}:12: error: duplicate theme id 'a'" in result.stderr
    ok = runner.invoke(
        app, ["dict", "validate", str(Path("govtext/themes/data/default.toml")), "--no-tokens"]
    )
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(app, ["dict", "show", "--rules"])
    assert shown.exit_code == 0
    assert "三治融合 (three_governance)" in shown.stdout and "not inside: 自治区" in shown.stdout


@pytest.mark.parametrize(
    "command", [["tag"], ["kwic"], ["dict", "validate"], ["dict", "show"], ["dict", "expand"]]
)
def test_themes_cli_every_command_has_help(app: typer.Typer, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    doc_line = result.stdout.split("Options")[0]
    assert len(doc_line.strip()) > 40


def test_themes_cli_dict_expand_on_the_seed_page(app: typer.Typer, seed_page: Path) -> None:
    result = runner.invoke(
        app, ["dict", "expand", "--corpus", str(seed_page), "--top", "3", "--min-count", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "党建引领 (party_building)" in result.stdout and "nearest:" in result.stdout


def test_themes_cli_tag_unit_paragraph_on_a_real_report(app: typer.Typer, shared_corpus: Path) -> None:
    """`--unit paragraph` gives every paragraph of a real report its own record, in order,
    themes or none, valid against the shipped schema; the paragraphs' hits add up to the
    document's, and each evidence sentence lies inside its paragraph."""
    import jsonschema

    from govtext.ingest import read_corpus
    from govtext.themes.tagging import tag_schema_path

    report = shared_corpus / "provincial-reports-2026" / "2026_四川省_政府工作报告.csv"
    doc = next(iter(read_corpus([report])))
    whole = runner.invoke(app, ["tag", str(report), "-f", "jsonl"])
    per_par = runner.invoke(app, ["tag", str(report), "-f", "jsonl", "--unit", "paragraph"])
    assert whole.exit_code == 0 and per_par.exit_code == 0, per_par.output
    (document,) = [json.loads(line) for line in whole.stdout.splitlines()]
    records = [json.loads(line) for line in per_par.stdout.splitlines()]
    schema = json.loads(tag_schema_path().read_text(encoding="utf-8"))
    for r in records[:20] + records[-5:]:
        jsonschema.validate(r, schema)
    assert [r["paragraph"] for r in records] == list(range(len(doc.paragraphs)))
    assert all(r["unit"] == "paragraph" and r["doc_id"] == document["doc_id"] for r in records)
    assert any(not r["themes"] for r in records) and sum(bool(r["themes"]) for r in records) > 10
    total: dict[str, int] = {}
    for r in records:
        for t in r["themes"]:
            total[t["theme"]] = total.get(t["theme"], 0) + t["hits"]
            for e in t["evidence"]:
                assert r["char_start"] <= e["char_start"] < r["char_end"]
                assert doc.text[e["char_start"] : e["char_end"]] == e["sentence"][e["start"] : e["end"]]
    assert total == {t["theme"]: t["hits"] for t in document["themes"]}
    bad = runner.invoke(app, ["tag", str(report), "--unit", "sentence"])
    assert bad.exit_code != 0
