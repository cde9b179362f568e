"""The default dictionary's errors on the *tune* part of the labelled paragraphs (by hand).

    PYTHONPATH=. .venv/bin/python tests/devset/tune_errors.py ../shared/corpus [FIRST_UID] > /tmp/errors.txt

prints, for every tune paragraph whose predicted themes differ from the gold labels
(from ``FIRST_UID`` on, e.g. p2201 for the third wave), the missed and the false
themes, the rule and sentence of each false hit, and the paragraph, for error analysis
by family. It never prints a test-part paragraph: the never-tuned figure is only
worth quoting while nobody has read its errors. The output holds corpus text: keep it
out of the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from evaluate_paragraphs import labelled
from paragraph_units import paragraph

from govtext.documents import Document
from govtext.themes import Matcher, load_dictionary


def main(shared: Path, first_uid: str = "p0000") -> None:
    matcher = Matcher(dictionary=load_dictionary()).fit()
    refs = [r for r in labelled() if r["split"] == "tune" and r["uid"] >= first_uid]
    n_err = 0
    for r in refs:
        text = paragraph(shared, r)
        hits = matcher.transform(Document(r["uid"], text))
        pred = {h.theme for h in hits}
        gold = set(r["labels"])
        if pred == gold:
            continue
        n_err += 1
        print(f"## {r['uid']} {r['genre']} missed={sorted(gold - pred)} false={sorted(pred - gold)}")
        for h in hits:
            if h.theme not in gold:
                print(f"   FP {h.theme} rule={h.rule} term={h.term!r} sentence={h.sentence[:120]!r}")
        print("   " + text.replace("\n", " ")[:900])
    print(f"\n{n_err} of {len(refs)} tune paragraphs differ from the gold labels")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "p0000")
