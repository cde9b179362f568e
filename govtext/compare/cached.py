"""Every comparison table of a run, re-used when its inputs have not changed.

``compare_run`` counts terms and builds the tables (``compare_all``), or, with a cache
(a ``govtext.store.Store``), loads them from the last run of the same inputs: the
documents, scores, hits and themes (their content), each document's text and paragraphs,
the segmenter settings of the tokens, the stopwords, the grouping, the thresholds, the
govtext version and the code of this package. On ../shared/corpus that is 2 s of a
re-run saved (term counts, keyness, similarity, co-occurrence). The topic tables come
from the run's topic model every time (they are cheap, and the model has its own cache).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from govtext.results import RunResult
    from govtext.tokens import Tokens

# Bump when the cached tables would no longer be what compare_all gives for the same inputs.
CACHE_FORMAT = "compare-1"
TOPIC_TABLES = ("topics", "topic_prevalence")


def frame_digest(frame: pd.DataFrame) -> str:
    """A hash of a table's content: column names, dtypes, values (in order) and ``attrs``."""
    import pandas as pd

    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()], ensure_ascii=False).encode())
    h.update(str(len(frame)).encode())
    for _, column in frame.items():
        try:
            h.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
        except TypeError:  # unhashable cells (lists of spans): their text
            h.update(repr(column.tolist()).encode())
    h.update(repr(sorted(frame.attrs.items())).encode())
    return h.hexdigest()


def package_digest(folder: Path, also: Sequence[Path] = ()) -> str:
    """A hash of the source files under ``folder`` (and ``also``): code that makes the tables."""
    h = hashlib.blake2b(digest_size=16)
    files = [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted([*files, *also]):
        h.update(str(path.relative_to(folder.parent)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def compare_key(
    result: RunResult, tokens: Sequence[Tokens], stopwords: Collection[str], thresholds: Mapping[str, int]
) -> str:
    """The hash of everything the comparison tables (topic tables aside) are made from."""
    import govtext

    h = hashlib.blake2b(digest_size=16)
    facts = {
        "format": CACHE_FORMAT,
        "govtext": govtext.__version__,
        "code": package_digest(Path(__file__).parent),
        "by": result.by,
        "time_field": result.time_field,
        "thresholds": dict(thresholds),
        "stopwords": sorted(stopwords),
        "token_settings": sorted({t.settings_hash for t in tokens}),
        "token_docs": [t.doc_id for t in tokens],
        "frames": {
            name: frame_digest(getattr(result, name)) for name in ("documents", "scores", "hits", "themes")
        },
    }
    h.update(json.dumps(facts, ensure_ascii=False, sort_keys=True).encode())
    for doc in result.corpus or ():
        # the text (the tokens' source) and the paragraphs co-occurrence counts in
        h.update(doc.doc_id.encode() + b"\0" + doc.text.encode() + b"\0" + repr(doc.paragraphs).encode())
    return h.hexdigest()


def compare_run(
    result: RunResult,
    tokens: Sequence[Tokens],
    *,
    stopwords: Collection[str] = (),
    min_group_chars: int = 0,
    min_group_docs: int = 0,
    cache: Any = None,
    let_go: bool = False,
) -> dict[str, pd.DataFrame]:
    """``compare_all`` over the run's term counts (``doc_term_matrix(tokens, stopwords)``);
    with ``cache`` (a Store), the tables of an earlier run of the same inputs are loaded
    instead of made, and new ones kept. ``let_go``: ``tokens`` is a list the caller hands
    over, emptied once its terms are counted (or the tables loaded)."""
    from govtext.compare import compare_all, doc_term_matrix, with_topic_tables

    thresholds = {"min_group_chars": min_group_chars, "min_group_docs": min_group_docs}
    key = compare_key(result, tokens, stopwords, thresholds) if cache is not None else None
    stored = cache.get_cached_tables(key) if key is not None else None
    kept = _unpickle(stored) if stored is not None else None
    if kept is not None:
        _let_go(tokens, let_go)
        return with_topic_tables(kept, result.topic_model, result.documents, result.by)
    handed = _drained(tokens) if let_go and isinstance(tokens, list) else tokens
    matrix = doc_term_matrix(handed, stopwords=stopwords)
    _let_go(tokens, let_go)
    tables = compare_all(result, doc_term_counts=matrix, **thresholds)
    if key is not None:
        kept = {name: frame for name, frame in tables.items() if name not in TOPIC_TABLES}
        cache.put_cached_tables(key, pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
    return tables


def _let_go(tokens: Sequence[Tokens], let_go: bool) -> None:
    # The run's tokens (~0.5 GB on 100 MB) are not needed by keyness and similarity,
    # which are then the run's memory peak, beside the topic fit's process (issue 20).
    if let_go and isinstance(tokens, list):
        from govtext.memory import trim_heap

        tokens.clear()
        trim_heap()  # their bytes were the C heap's: freed, they stayed resident


def _drained(tokens: list[Tokens], every: int = 2000) -> Iterator[Tokens]:
    """``tokens``' items, each let go of by the list as it is handed on, and the heap
    trimmed every ``every`` of them: the term counts are built while the tokens they are
    counted from are freed, so the run does not hold both (on 100 MB the count took 4 s
    with the run's process at its peak beside the topic fit's; issue 20)."""
    from govtext.memory import trim_heap

    for i in range(len(tokens)):
        tok, tokens[i] = tokens[i], None  # type: ignore[call-overload]
        yield tok
        if i % every == every - 1:
            trim_heap()


def _unpickle(blob: bytes) -> dict[str, pd.DataFrame] | None:
    try:
        kept = pickle.loads(blob)  # our own store, written by compare_run
    except Exception:  # written by another version: make the tables afresh
        return None
    return kept if isinstance(kept, dict) and "cooccurrence" in kept else None
