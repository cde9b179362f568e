"""Reports on the real corpora (read here with pandas and tagged by literal terms, so the
report is tested at full size without depending on ingest or the theme dictionary)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import national_result, provincial_result

from govtext.compare import compare_all
from govtext.report import write_report


@pytest.mark.slow
def test_report_real_provincial_reports_by_province(provincial_dir: Path, tmp_path: Path) -> None:
    result = provincial_result(provincial_dir)
    result.tables = compare_all(result)
    files = write_report(result, tmp_path, formats=("html", "md", "csv", "json", "xlsx"))
    html = files["html"].read_text(encoding="utf-8")
    provinces = sorted(set(result.documents["province"]))
    assert len(provinces) == 21
    density = html.split('id="table-density"')[1].split("</table>")[0]
    for p in provinces:
        assert f'<th scope="row">{p}</th>' in density
    # Every evidence excerpt is a piece of its document (after the ellipses are removed).
    texts = {d.doc_id: d.text for d in result.corpus}
    evidence = pd.read_csv(files["csv:evidence"], encoding="utf-8-sig", dtype=str)
    assert len(evidence) > 21
    for row in evidence.itertuples(index=False):
        for piece in row.excerpt.strip("…").split("…"):
            assert piece in texts[row.doc_id]
    # Links from evidence point at document anchors that exist.
    ids = set(re.findall(r' id="(doc-[^"]+)"', html))
    links = set(re.findall(r'href="#(doc-[^"]+)"', html))
    assert links and links <= ids
    info = json.loads(files["json"].read_text(encoding="utf-8"))
    assert info["counts"]["documents"] == 21 and info["counts"]["groups"] == 21


@pytest.mark.slow
def test_report_real_national_reports_by_year_with_trend(national_file: Path, tmp_path: Path) -> None:
    result = national_result(national_file)
    result.tables = compare_all(result)
    files = write_report(result, tmp_path, formats=("html", "csv"))
    trend = pd.read_csv(files["csv:trend"], encoding="utf-8-sig")
    years = list(dict.fromkeys(trend["year"]))
    assert len(years) == 52 and years == sorted(years) and years[0] == 1954
    html = files["html"].read_text(encoding="utf-8")
    section = html.split('<section id="trend">')[1].split("</section>")[0]
    assert "<svg" in section and "2020" in unescape(section)
    # Documents without a year (the NPC resolutions) are a group of their own, not dropped.
    assert '<th scope="row">（缺失）</th>' in html
