"""The matcher's hits and explanations are those it gave before the issue-19 speed work.

``tests/golden/matcher_digests.json`` holds, per sample document and matcher set-up, a
sha1 of every ``Matcher.explain`` candidate (all fields: theme, rule, term, spans,
sentence, weight, paragraph, status, reason) and of every ``Matcher.transform`` hit. It
holds digests, never corpus text. The samples: the project's corpus/ (whole articles and
3,000-character windows), paragraphs, windows and whole texts of the shared corpora,
hand-written edge cases, and a rule extension that exercises what the shipped dictionary
does not (look-around regexes, context regexes, sides, windows, paragraph scope, token
boundaries, a multi-theme expression).

The digests are taken with a frozen copy of the shipped dictionary
(``tests/golden/matcher_dictionary.toml``), so new rules in the shipped one change nothing here.
A deliberate change of any hit bumps ``MATCHER_VERSION`` (govtext/themes/rules.py) and
rewrites the file: ``PYTHONPATH=. python tests/test_themes_matcher_identity.py --write``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from govtext.documents import Document
from govtext.themes import Matcher, load_dictionary
from govtext.themes.matcher import Candidate, ThemeHit

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "matcher_digests.json"
# The dictionary the digests were taken with, frozen: the shipped one changes with every rule
# written from the labelled set, and that must not read as a change of the matcher.
FROZEN = ROOT / "tests" / "golden" / "matcher_dictionary.toml"
SHARED = Path(os.environ.get("GOVTEXT_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))

# A rule extension on top of the shipped dictionary for what it does not use itself.
PROBE_RULES = """
[[theme]]
id = "probe"
framework = "capital_mechanisms"
name = "探针"

  [[theme.rule]]
  id = "before_window"
  terms = ["治理", "服务"]
  exclude_overlap = ["治理体系", "服务业"]
  require_near = [{ id = "lead", terms = ["基层", "社区", "街道"], scope = "clause", window = 6, side = "before" }]
  exclude_near = [{ id = "econ", terms = ["经济", "产业"], regex = ["(?:市场|企业)[^，。]{0,4}主体"], scope = "sentence", side = "after" }]

  [[theme.rule]]
  id = "para"
  terms = ["群众"]
  weight = 0.5
  require_near = [{ id = "voice", terms = ["诉求"], regex = ["(?<![0-9])12345(?![0-9])"], scope = "paragraph" }]

  [[theme.rule]]
  id = "look"
  regex = ["(?<=推进)[^，。]{1,6}建设", "党(?:委|组织)[^，。；]{0,5}领导"]

  [[theme.rule]]
  id = "tok"
  terms = ["管理", "发展"]
  boundary = "token"
  exclude_near = [{ id = "fin", terms = ["金融", "资金"], window = 10 }]

[[expression]]
id = "probe_pair"
themes = ["probe", "self_governance"]
terms = ["自治", "议事"]
"""

# Texts written here for the corners: width folding, traditional characters, a term broken
# across a line, a lone surrogate, a long sentence without stops, blanks, CRLF.
EDGE_TEXTS = {
    "edge/fullwidth": "拨打１２３４５热线，反映诉求。推进居民自治，ＡＢＣ社区治理。",
    "edge/traditional": "推進基層治理現代化，健全黨組織領導的自治、法治、德治相結合的城鄉基層治理體系。",
    "edge/line-break": "社区推进居民\n自治和接诉\n即办，广西壮族\n自治区。\n\n共建共治\n共享。",
    "edge/surrogate": "基层治理\ud800居民自治。共建\udfff共治共享，吹哨报到。",
    "edge/long-sentence": "推进基层治理、居民自治、共建共治共享、接诉即办、" * 120,
    "edge/blank": " \n\t\n ",
    "edge/empty": "",
    "edge/crlf": "党建引领基层治理，\r\n社区服务下沉，\r\n赋权增效。\r\n一带一路共建。",
}


def _sample() -> Iterator[tuple[str, str]]:
    """(label, text) of every sample document; labels name files and positions only."""
    articles = sorted((ROOT / "corpus").glob("[0-9]*.md"))
    joined = ""
    for path in articles:
        text = path.read_text(encoding="utf-8")
        joined += text
        yield f"corpus/{path.name}", text
    for i in range(0, len(joined) - 3000, 700):
        yield f"corpus/window-{i}", joined[i : i + 3000]
    yield from EDGE_TEXTS.items()
    for path in sorted((SHARED / "seed").glob("*.txt")):
        yield f"seed/{path.name}", path.read_text(encoding="utf-8")
    for path in sorted((SHARED / "provincial-reports-2026").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as fh:
            text = next(csv.DictReader(fh))["full_text"]
        label = f"provincial/{path.stem}"
        if "广西" in path.stem or "新疆" in path.stem:  # whole: long sentences, 自治区 everywhere
            yield label, text
        paragraphs = [p for p in text.split("\n") if p.strip()]
        for k in range(0, len(paragraphs), 11):
            yield f"{label}/p{k}", paragraphs[k]
    with (SHARED / "national-reports" / "government_work_reports.jsonl").open(encoding="utf-8") as fh:
        national = "".join(json.loads(line)["content"] for line in fh if line.strip())
    for i in range(0, min(len(national), 400_000), 20_000):
        yield f"national/window-{i}", national[i : i + 3000]
    with (SHARED / "jiangsu-cppcc-2022" / "jszx2022.csv").open(encoding="utf-8-sig") as fh:
        for k, row in enumerate(csv.DictReader(fh)):
            if k % 20 == 0:
                yield f"cppcc/row-{k}", row["content"]


def _digest(items: list[Candidate] | list[ThemeHit]) -> str:
    rows = [dataclasses.astuple(c) for c in items]
    return hashlib.sha1(json.dumps(rows, ensure_ascii=True).encode()).hexdigest()


def compute(tmp: Path) -> dict[str, str]:
    """``{set-up/label/explain|transform: sha1}`` for every sample document."""
    extension = tmp / "probe.toml"
    extension.write_text(PROBE_RULES, encoding="utf-8")
    frozen = load_dictionary(FROZEN)
    setups = {
        "default": (Matcher(dictionary=frozen).fit(), ()),
        "kwic": (Matcher(dictionary=frozen).fit(), ("治理", "自治区", "服务")),
        "two-themes": (Matcher(dictionary=frozen, themes=["self_governance", "co_construction"]).fit(), ()),
        "probe": (Matcher(dictionary=load_dictionary(FROZEN, extra=[extension])).fit(), ()),
    }
    out = {}
    for label, text in _sample():
        doc = Document(label, text)
        for name, (matcher, terms) in setups.items():
            if name == "kwic" and not label.startswith(("corpus/0", "edge/", "seed/")):
                continue
            key = f"{name}/{label}"
            out[f"{key}/explain"] = _digest(matcher.explain(doc, terms=terms or None))
            if not terms:
                out[f"{key}/transform"] = _digest(matcher.transform(doc))
    return out


def test_themes_matcher_identity_hits_and_explanations_unchanged(shared_corpus: Path, tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = compute(tmp_path)
    assert sorted(got) == sorted(expected), (
        "the sample changed: rewrite the golden file (see module docstring)"
    )
    changed = [k for k in expected if got[k] != expected[k]]
    assert not changed, f"{len(changed)} of {len(expected)} digests changed, e.g. {changed[:8]}"


def test_themes_matcher_identity_digest_sees_one_changed_field(tmp_path: Path) -> None:
    """The digest covers the fields a scholar cites: a different reason changes it."""
    doc = Document("d", "广西壮族自治区推进村民自治。")
    cands = Matcher().fit().explain(doc)
    vetoed = next(c for c in cands if c.status == "vetoed")
    altered = [dataclasses.replace(c, reason="x") if c is vetoed else c for c in cands]
    assert _digest(altered) != _digest(cands)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: PYTHONPATH=. python tests/test_themes_matcher_identity.py --write")
    import tempfile

    with tempfile.TemporaryDirectory() as tmpdir:
        digests = compute(Path(tmpdir))
    GOLDEN.write_text(json.dumps(digests, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(digests)} digests written to {GOLDEN}")


def test_themes_matcher_identity_strings_utf8_cannot_hold() -> None:
    """Terms with a lone surrogate or a U+FFFD (which the UTF-8 term scan cannot tell
    apart from a replaced surrogate) are found where they are, and only there."""
    from govtext.themes.rules import Framework, Rule, Theme, ThemeDictionary

    rule = Rule(id="odd", themes=("t",), terms=("治\ufffd理", "自\ud800治", "基层治理"))
    d = ThemeDictionary(
        [Framework("f", "F", themes=["t"])], {"t": Theme("t", "T", framework="f", rules=(rule,))}
    )
    text = "推进治\ud800理和治\ufffd理，自\ud800治，基层治理。"
    hits = Matcher(dictionary=d).fit().transform(Document("d", text))
    assert [(h.term, text[h.start : h.end]) for h in hits] == [
        ("治\ufffd理", "治\ufffd理"),
        ("自\ud800治", "自\ud800治"),
        ("基层治理", "基层治理"),
    ]


def test_themes_matcher_identity_fitted_matcher_pickles() -> None:
    """A fitted Matcher goes to worker processes: pickled and back, it finds the same."""
    import pickle

    m = Matcher().fit()
    doc = Document("d", "广西壮族自治区推进村民自治。共建共治共享，街乡吹哨部门报到，依法治理。")
    again = pickle.loads(pickle.dumps(m))
    assert again.explain(doc) == m.explain(doc) and again.transform(doc) == m.transform(doc)
    assert len(m.transform(doc)) >= 5
