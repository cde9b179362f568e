"""validate sample/score on the shared corpus: the workbook, simulated coders, bad workbooks, the CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_CORPUS
from openpyxl import load_workbook

from govtext.errors import InputError
from govtext.validate import read_codes, sample, score, write_report

CORPUS = SHARED_CORPUS / "provincial-reports-2026"
FILES = [CORPUS / "2026_吉林省_政府工作报告.csv", CORPUS / "2026_天津市_政府工作报告.csv"]


@pytest.fixture(autouse=True)
def _corpus_present(shared_corpus: Path) -> None:
    """The real corpora are required, as everywhere in the suite: missing, they fail loudly."""


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("v") / "coding.xlsx"
    s = sample(FILES, out, n=60, seed=3)
    return out, s


def _fill(src: Path, dst: Path, flips1: int = 3, flips2: int = 4) -> tuple[dict, dict]:
    """Coder 1 = the predictions with the first ``flips1`` theme cells of the first theme
    flipped; coder 2 = coder 1 with ``flips2`` more flips on another theme."""
    wb = load_workbook(src)
    pred = {
        r[0]: set((r[6] or "").split(","))
        for r in wb["_govtext"].iter_rows(min_row=2, values_only=True)
        if r[0]
    }
    codes: dict[str, dict[str, dict[str, int]]] = {}
    for c in ("coder1", "coder2"):
        ws = wb[c]
        hdr = [x.value for x in ws[1]]
        themes = hdr[4:]
        codes[c] = {}
        for i, row in enumerate(ws.iter_rows(min_row=2)):
            uid = row[0].value
            vals = {t: int(t in pred[uid]) for t in themes}
            if i < flips1:
                vals["rule_of_law"] = 1 - vals["rule_of_law"]
            if c == "coder2" and i < flips2:
                vals["effectiveness"] = 1 - vals["effectiveness"]
            codes[c][uid] = vals
            for j, t in enumerate(themes, start=4):
                row[j].value = vals[t]
    wb.save(dst)
    return codes, pred


def test_workbook_layout(drawn) -> None:
    path, s = drawn
    wb = load_workbook(path)
    assert wb.sheetnames == ["coder1", "coder2", "themes", "_govtext"]
    assert wb["_govtext"].sheet_state == "hidden"
    ws = wb["coder1"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["unit_id", "doc_id", "text", "context"] and header[4:] == s.themes
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width == 60 and ws.column_dimensions["E"].width == 12
    assert ws["C2"].alignment.wrap_text
    (dv,) = ws.data_validations.dataValidation
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "0", "1")
    assert str(dv.sqref) == f"E2:{ws.cell(row=1, column=len(header)).column_letter}{len(s.units) + 1}"
    # predictions are not on the coders' sheets
    assert not any("predicted" in str(c.value) for c in ws[1])
    themes = list(wb["themes"].iter_rows(values_only=True))
    assert themes[0] == ("id", "name", "description") and [r[0] for r in themes[1:]] == s.themes
    meta = {r[10]: r[11] for r in wb["_govtext"].iter_rows(values_only=True) if len(r) > 11 and r[10]}
    assert meta["dictionary_hash"] == s.dictionary.hash and meta["coders"] == "coder1,coder2"


def test_sample_strata_and_weights(drawn) -> None:
    _, s = drawn
    u = s.units
    assert len(u) == 60 and u["unit_id"].is_unique
    for _stratum, g in u.groupby("stratum"):
        assert (g["weight"] == g["stratum_size"] / len(g)).all()
        assert (g["stratum_sampled"] == len(g)).all()
    assert "none" in set(u["stratum"])  # units without a hit are represented
    # every stratum but the residual 'none' is a theme the units of it are predicted with
    for row in u.itertuples():
        assert (row.stratum == "none" and not row.predicted) or row.stratum in row.predicted
    # the weights add up to the population
    assert u.drop_duplicates("stratum")["stratum_size"].sum() == s.population
    # rare themes are taken whole (oversampled relative to 'none')
    rates = u.groupby("stratum")["weight"].first()
    assert rates.drop("none").max() < rates["none"]
    # seeded: the same draw again
    again = sample(FILES, Path(drawn[0]).with_name("again.xlsx"), n=60, seed=3)
    assert list(again.units["unit_id"]) == list(u["unit_id"])


def test_two_simulated_coders_every_figure(drawn, tmp_path: Path) -> None:
    path, s = drawn
    filled = tmp_path / "filled.xlsx"
    codes, pred = _fill(path, filled)
    r = score(filled, gold="coder1", n_boot=300, out=tmp_path / "scores.json")
    w = dict(zip(s.units["unit_id"], s.units["weight"], strict=True))
    # agreement on effectiveness: 4 of 60 units differ
    ag = r.agreement.set_index("theme")
    assert ag.loc["effectiveness", "agreement"] == pytest.approx(56 / 60)
    assert ag.loc["rule_of_law", "agreement"] == 1.0 and ag.loc["rule_of_law", "kappa"] == 1.0
    a = np.array([codes["coder1"][u]["effectiveness"] for u in w])
    b = np.array([codes["coder2"][u]["effectiveness"] for u in w])
    po = np.mean(a == b)
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    assert ag.loc["effectiveness", "kappa"] == pytest.approx((po - pe) / (1 - pe))
    # scores against coder 1: hand-weighted counts (the same dictionary re-tags the same units)
    sc = r.scores.set_index("theme")
    for t in ("rule_of_law", "effectiveness"):
        tp = sum(w[u] for u in w if t in pred[u] and codes["coder1"][u][t])
        fp = sum(w[u] for u in w if t in pred[u] and not codes["coder1"][u][t])
        fn = sum(w[u] for u in w if t not in pred[u] and codes["coder1"][u][t])
        assert (sc.loc[t, "tp"], sc.loc[t, "fp"], sc.loc[t, "fn"]) == pytest.approx((tp, fp, fn))
        if tp + fp:
            assert sc.loc[t, "precision"] == pytest.approx(tp / (tp + fp))
        assert sc.loc[t, "f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert sc.loc["effectiveness", "fp"] == 0 and sc.loc["effectiveness", "fn"] == 0
    # the three flips of rule_of_law are the errors listed, with their sentences
    errs = r.errors[r.errors["theme"] == "rule_of_law"]
    assert len(errs) == 3 and all(errs["sentence"].str.len() > 0)
    fps = errs[errs["kind"] == "false_positive"]
    assert all(
        any(term in sent for term in terms.split("、"))
        for terms, sent in zip(fps["terms"], fps["sentence"], strict=True)
    )
    saved = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert saved["meta"]["sample_dictionary_hash"] == s.dictionary.hash == saved["meta"]["dictionary_hash"]
    # gold=both with coder 2's extra 1s: where coder 2 adds effectiveness, both ⇒ still 0
    both = score(filled, gold="both", n_boot=100).scores.set_index("theme")
    assert both.loc["effectiveness", "fn"] == 0
    files = write_report(tmp_path / "scores.json", tmp_path / "rep")
    assert {p.name for p in files} == {
        "scores.csv",
        "agreement.csv",
        "errors.csv",
        "validation.md",
        "validation.html",
        "validation.xlsx",
    }
    section = (tmp_path / "rep" / "validation.html").read_text(encoding="utf-8")
    assert section.startswith('<section id="validation">') and "<td>rule_of_law</td>" in section
    assert s.dictionary.hash in section and "<script" not in section
    assert "| rule_of_law |" in (tmp_path / "rep" / "validation.md").read_text(encoding="utf-8")
    assert load_workbook(tmp_path / "rep" / "validation.xlsx").sheetnames == [
        "scores",
        "agreement",
        "errors",
        "about",
    ]


def test_a_coder_as_csv(drawn, tmp_path: Path) -> None:
    path, _ = drawn
    filled = tmp_path / "filled.xlsx"
    _fill(path, filled)
    ws = load_workbook(filled)["coder2"]
    with (tmp_path / "coder2.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
        )
    codes = read_codes(filled, [tmp_path / "coder2.csv"])
    assert codes.coders["coder2"].equals(read_codes(filled).coders["coder2"])


def _break(src: Path, dst: Path, how: str) -> None:
    wb = load_workbook(src)
    ws = wb["coder2"]
    if how == "renamed":
        ws.title = "Coder 2"
    elif how == "deleted_row":
        ws.delete_rows(5)
    elif how == "extra_column":
        ws.cell(row=1, column=ws.max_column + 1, value="notes")
    elif how == "text":
        ws["F7"] = "yes"
    elif how == "blank":
        ws["G9"] = None
    elif how == "unknown_id":
        ws["A4"] = "made-up#p1"
    elif how == "other_units":
        for r in range(2, 6):
            ws.cell(row=r, column=1, value=f"other#p{r}")
    wb.save(dst)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("renamed", r"sheet 'coder2' is missing \(found unexpected sheet\(s\) 'Coder 2': was it renamed\?\)"),
        ("deleted_row", r"sheet 'coder2': unit .* is missing \(1 of 60 units absent\); a row was deleted"),
        ("extra_column", r"sheet 'coder2', row 1, column Q: extra column 'notes'"),
        ("text", r"sheet 'coder2', row 7, column F \(rule_of_law\): 'yes' is not 0 or 1"),
        ("blank", r"sheet 'coder2', row 9, column G \(rule_of_virtue\): blank"),
        (
            "unknown_id",
            r"sheet 'coder2': codes other units than the sample: 1 unit\(s\) not in it \(first 'made-up#p1' at row 4\)",
        ),
        ("other_units", r"sheet 'coder2': codes other units than the sample: 4 unit\(s\)"),
    ],
)
def test_bad_workbook_one_clear_error(drawn, tmp_path: Path, how: str, message: str) -> None:
    path, _ = drawn
    filled = tmp_path / "filled.xlsx"
    _fill(path, filled)
    bad = tmp_path / f"{how}.xlsx"
    _break(filled, bad, how)
    with pytest.raises(InputError, match=message) as err:
        read_codes(bad)
    assert "\n" not in str(err.value)


def test_cli_end_to_end(tmp_path: Path) -> None:
    gt = [sys.executable, "-m", "govtext", "validate"]
    out = tmp_path / "coding.xlsx"
    p = subprocess.run([*gt, "sample", *map(str, FILES[:1]), "--n", "20", "--seed", "1", "-o", str(out)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "20 of" in p.stdout
    p = subprocess.run(
        [*gt, "score", str(out), "-o", str(tmp_path / "s.json")], capture_output=True, text=True, timeout=120
    )
    assert (
        p.returncode == 1
        and p.stderr.startswith("govtext validate score: error: sheet 'coder1', row 2, column E")
        and "blank" in p.stderr
    )
    filled = tmp_path / "filled.xlsx"
    _fill(out, filled, flips1=1, flips2=0)
    p = subprocess.run([*gt, "score", str(filled), "--bootstrap", "200", "-o", str(tmp_path / "s.json")],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "| micro |" in p.stdout
    p = subprocess.run(
        [*gt, "report", str(tmp_path / "s.json"), "-o", str(tmp_path / "rep")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "rep" / "validation.md").exists()
    # the figures as a section of the HTML report (govtext report --validation)
    p = subprocess.run(
        [sys.executable, "-m", "govtext", "report", str(FILES[0]), "--by", "province", "--format", "html",
         "--validation", str(tmp_path / "s.json"), "-o", str(tmp_path / "page")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert '<section id="validation">' in page and 'href="#validation"' in page
    assert page.index('id="validation"') < page.index('<section id="methods">')


def test_control_characters_and_oversized_units(tmp_path: Path) -> None:
    from govtext.documents import Document
    from govtext.validate import draw_sample, write_workbook

    docs = [
        Document("a", "坚持依法治国\x0b，推进法治政府建设。\n群众诉求接诉即办。\n" + "长" * 33_000),
        Document("b", "一般性段落，没有主题。\n另一段。"),
    ]
    s = draw_sample(docs, 10, seed=0)
    assert s.too_long == 1 and s.population == 4  # the 33,000-character paragraph cannot be coded
    assert not any("\x0b" in t for t in s.units["text"])
    out = write_workbook(s, tmp_path / "c.xlsx")  # openpyxl would raise on \x0b
    codes = read_codes_blank_ok(out)
    assert "rule_of_law" in codes


def read_codes_blank_ok(path: Path) -> set[str]:
    wb = load_workbook(path)
    return {
        t
        for r in wb["_govtext"].iter_rows(min_row=2, values_only=True)
        if r[0]
        for t in (r[6] or "").split(",")
        if t
    }


@pytest.mark.parametrize("sub", [[], ["sample"], ["score"], ["report"]])
def test_cli_help_readable(sub: list[str]) -> None:
    # the rules of tests/test_cli_consistency.py, for validate and each of its steps
    p = subprocess.run(
        [sys.executable, "-m", "govtext", "validate", *sub, "-h"], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert "<list[" not in p.stdout and "<int" not in p.stdout and "<path>" not in p.stdout
    assert "Example: govtext validate " + (sub[0] if sub else "sample") in p.stdout.replace("\n", " ")
