"""govtext: governance themes in Chinese governance writing.

The names below are the public API; heavy modules load on first use so that the
command line starts fast.

Reading and tagging
    read_corpus, iter_corpus   files and folders → Corpus (every file accounted for)
    Corpus, Document, as_corpus  a corpus from texts, a Series or a DataFrame column
    tag                        theme hits, scores per document and per paragraph (DataFrames)
    kwic                       keyword in context with each occurrence's rule status
    dfm                        document-feature matrix (SciPy sparse) for your own models
Full analysis
    analyze, run_pipeline      every stage: tables, topics, the report
    load_dictionary, Matcher   the theme rules
    Segmenter, Tokens          jieba with the governance dictionary
Figures
    plot_density, use_cjk_font  matplotlib with a CJK font
Tables
    public_tables, check_tables  every table of a run; names safe for Stata and R
    to_stata                   a table as a Stata 118 file, no column renamed

>>> import govtext
>>> "tag" in dir(govtext) and "read_corpus" in dir(govtext)
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from govtext.documents import Corpus, Document, FileRecord, Provenance, as_corpus
from govtext.errors import GovtextError

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily by __getattr__), or
# (module, name there) when the public name differs
_LAZY: dict[str, str | tuple[str, str]] = {
    "kwic": ("govtext.concordance", "kwic_table"),
    "dfm": "govtext.features",
    "plot_density": "govtext.plots",
    "use_cjk_font": "govtext.plots",
    "DocumentFeatureMatrix": "govtext.features",
    "read_corpus": "govtext.ingest",
    "iter_corpus": "govtext.ingest",
    "normalize": "govtext.normalize",
    "split_sentences": "govtext.sentences",
    "Segmenter": "govtext.segment",
    "Tokens": "govtext.tokens",
    "load_dictionary": "govtext.themes",
    "Matcher": "govtext.themes",
    "ThemeHit": "govtext.themes",
    "TopicModel": "govtext.topics",
    "RunResult": "govtext.results",
    "PipelineConfig": "govtext.config",
    "load_pipeline": "govtext.config",
    "analyze": "govtext.pipeline",
    "run_pipeline": "govtext.pipeline",
    "tag": "govtext.pipeline",
    "Tagged": "govtext.pipeline",
    "write_report": "govtext.report",
    "public_tables": "govtext.tables",
    "check_tables": "govtext.tables",
    "to_stata": "govtext.tables",
}

__all__ = [
    "Corpus",
    "Document",
    "FileRecord",
    "GovtextError",
    "Provenance",
    "__version__",
    "as_corpus",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        target = _LAZY[name]
        module, attr = target if isinstance(target, tuple) else (target, name)
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'govtext' has no attribute {name!r}")


def __dir__() -> list[str]:
    # Tab completion and dir() list the public API, lazy names included.
    return sorted(set(__all__) | {"__version__"})
