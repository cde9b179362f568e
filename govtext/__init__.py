"""govtext: governance themes in Chinese governance writing.

The names below are the public API; heavy modules load on first use so that the
command line starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from govtext.documents import Corpus, Document, FileRecord, Provenance
from govtext.errors import GovtextError

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily by __getattr__)
_LAZY = {
    "read_corpus": "govtext.ingest",
    "iter_corpus": "govtext.ingest",
    "normalize": "govtext.normalize",
    "split_sentences": "govtext.sentences",
    "Segmenter": "govtext.segment",
    "Tokens": "govtext.segment",
    "load_dictionary": "govtext.themes",
    "Matcher": "govtext.themes",
    "ThemeHit": "govtext.themes",
    "TopicModel": "govtext.topics",
    "RunResult": "govtext.results",
    "PipelineConfig": "govtext.pipeline",
    "load_pipeline": "govtext.pipeline",
    "analyze": "govtext.pipeline",
    "run_pipeline": "govtext.pipeline",
    "tag": "govtext.pipeline",
    "Tagged": "govtext.pipeline",
    "write_report": "govtext.report",
}

__all__ = ["Corpus", "Document", "FileRecord", "GovtextError", "Provenance", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'govtext' has no attribute {name!r}")
