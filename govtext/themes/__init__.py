"""Theme rules: dictionaries of frameworks → themes → rules, the matcher, and scores.

>>> from govtext.documents import Document
>>> d = load_dictionary()
>>> m = Matcher(dictionary=d).fit()
>>> [h.theme for h in m.transform(Document("x", "广西壮族自治区推进村民自治。"))]
['self_governance']
"""

from govtext.themes.dictionary import Issue, build_dictionary, default_dictionary_path, load_dictionary
from govtext.themes.matcher import Candidate, Matcher, ThemeHit
from govtext.themes.rules import Context, Framework, Rule, Theme, ThemeDictionary
from govtext.themes.scores import hits_frame, paragraph_labels, score_documents, score_paragraphs

__all__ = [
    "Candidate",
    "Context",
    "Framework",
    "Issue",
    "Matcher",
    "Rule",
    "Theme",
    "ThemeDictionary",
    "ThemeHit",
    "build_dictionary",
    "default_dictionary_path",
    "hits_frame",
    "load_dictionary",
    "paragraph_labels",
    "score_documents",
    "score_paragraphs",
]
