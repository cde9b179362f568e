"""Merge two blind annotators' paragraph labels, list disagreements, record adjudication (by hand).

    # 1. the disagreements of the labelled batches, for the adjudicator (text from the corpus)
    PYTHONPATH=. .venv/bin/python tests/devset/adjudicate.py disagreements ../shared/corpus LABELS_DIR > /tmp/dis.jsonl
    # 2. the adjudicated labels into the reference file (labels of both coders kept, with the log)
    PYTHONPATH=. .venv/bin/python tests/devset/adjudicate.py merge ../shared/corpus LABELS_DIR ADJUDICATION.jsonl

LABELS_DIR holds ``A/labels_NN.jsonl`` and ``B/labels_NN.jsonl``: one ``{"uid", "themes",
"note"?}`` per paragraph from each annotator, who saw only THEMES.md and the text. The
adjudication file has one ``{"uid", "themes", "reason"}`` per disagreement. The merged
reference keeps ``coder_a``, ``coder_b``, ``labels`` (the gold) and ``adjudicated``
(the reason, when the coders differed), so agreement can be recomputed at any time.

An optional review file (same shape as the adjudication file) applies a set-wide standard
to paragraphs the coders agreed on, when one batch's coders read the codebook one way and
every other batch's the other way; the reason is kept in ``reviewed``:

    PYTHONPATH=. .venv/bin/python tests/devset/adjudicate.py merge ../shared/corpus LABELS_DIR ADJUDICATION.jsonl REVIEW.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paragraph_units import paragraph

REFS = Path(__file__).parent / "paragraphs.jsonl"
THEMES = (
    "self_governance",
    "rule_of_law",
    "rule_of_virtue",
    "co_construction",
    "co_governance",
    "shared_benefits",
    "empowerment",
    "push_down",
    "effectiveness",
    "party_building",
    "whistle_report",
    "complaint_response",
)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def coder_labels(labels_dir: Path, coder: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((labels_dir / coder).glob("labels_*.jsonl")):
        for row in read_jsonl(path):
            bad = set(row["themes"]) - set(THEMES)
            if bad:
                raise ValueError(f"{path}: {row['uid']} has unknown themes {sorted(bad)}")
            out[row["uid"]] = sorted(set(row["themes"]))
    return out


def disagreements(shared: Path, labels_dir: Path) -> None:
    refs = {r["uid"]: r for r in read_jsonl(REFS)}
    a, b = coder_labels(labels_dir, "A"), coder_labels(labels_dir, "B")
    for uid in sorted(set(a) & set(b)):
        if a[uid] != b[uid]:
            text = paragraph(shared, refs[uid])
            row = {"uid": uid, "text": text, "coder_1": a[uid], "coder_2": b[uid]}
            print(json.dumps(row, ensure_ascii=False))


COPIED_RUN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef0-9“”]{8,}")


def without_copied_text(reason: str, text: str) -> str:
    """The reason with any run of 8 or more characters copied from the paragraph cut to
    its first four and an ellipsis: the file holds references and labels, never the
    corpus's text; a key term (接诉即办, 信访工作法治化) stays readable."""
    return COPIED_RUN.sub(lambda m: m.group(0) if m.group(0) not in text else m.group(0)[:4] + "…", reason)


def merge(shared: Path, labels_dir: Path, adjudication: Path, review: Path | None = None) -> None:
    refs = read_jsonl(REFS)
    a, b = coder_labels(labels_dir, "A"), coder_labels(labels_dir, "B")
    adj = {r["uid"]: r for r in read_jsonl(adjudication)} if adjudication.exists() else {}
    reviewed = {r["uid"]: r for r in read_jsonl(review)} if review else {}
    missing = []
    for ref in refs:
        uid = ref["uid"]
        if uid not in a or uid not in b:
            continue
        text = paragraph(shared, ref)  # the corpus still holds the text the coders saw
        ref["coder_a"], ref["coder_b"] = a[uid], b[uid]
        if a[uid] == b[uid]:
            ref["labels"] = a[uid]
            ref.pop("adjudicated", None)
        elif uid in adj:
            ref["labels"] = sorted(set(adj[uid]["themes"]))
            ref["adjudicated"] = without_copied_text(adj[uid]["reason"], text)
        else:
            missing.append(uid)
            ref.pop("labels", None)
        ref.pop("reviewed", None)
        if uid in reviewed and "labels" in ref:
            ref["labels"] = sorted(set(reviewed[uid]["themes"]))
            ref["reviewed"] = without_copied_text(reviewed[uid]["reason"], text)
    REFS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refs), encoding="utf-8")
    if missing:
        sys.exit(f"{len(missing)} disagreements not adjudicated yet, e.g. {missing[:5]}")


if __name__ == "__main__":
    cmd, shared, labels = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if cmd == "disagreements":
        disagreements(shared, labels)
    else:
        merge(shared, labels, Path(sys.argv[4]), Path(sys.argv[5]) if len(sys.argv) > 5 else None)
