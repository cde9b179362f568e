"""One adapter per stage: how the pipeline calls each module with a PipelineConfig.

Keeping these calls in one place lets every stage module keep its own small API while
the pipeline stays a straight line of calls.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

from govtext.documents import Corpus

if TYPE_CHECKING:
    import pandas as pd

    from govtext.pipeline import PipelineConfig
    from govtext.results import RunResult
    from govtext.segment import Tokens


def ingest(paths: list[str], cfg: PipelineConfig) -> Corpus:
    from govtext.ingest import read_corpus

    return read_corpus(
        paths,
        text_column=cfg.ingest.text_column or None,
        path_pattern=cfg.ingest.path_pattern or None,
        max_file_size=int(cfg.ingest.max_file_size_mb * 1024 * 1024),
        max_doc_chars=cfg.ingest.max_doc_chars,
        extract_timeout=cfg.ingest.extract_timeout,
    )


def make_segmenter(cfg: PipelineConfig, *, pos: bool = False) -> Any:
    from govtext.segment import Segmenter

    return Segmenter(user_dicts=cfg.segment.user_dicts, hmm=cfg.segment.hmm, pos=pos)


def segment(corpus: Corpus, cfg: PipelineConfig) -> list[Tokens]:
    seg = make_segmenter(cfg, pos=True)
    return [seg.tokens(doc) for doc in corpus]


def load_themes(cfg: PipelineConfig) -> Any:
    from govtext.themes import load_dictionary

    return load_dictionary(cfg.themes.dictionary or None, extra=cfg.themes.extra)


def match(corpus: Corpus, dictionary: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    from govtext.themes import Matcher, hits_frame, score_documents

    matcher = Matcher(dictionary=dictionary).fit()
    hits = [h for doc in corpus for h in matcher.transform(doc)]
    frame = hits_frame(hits)
    names = {t.id: t.name for t in dictionary.themes.values()}
    frame["name"] = frame["theme"].map(names)
    # Every theme for every document, zeros included, so group figures count absences too.
    scores = score_documents(hits, corpus.documents, themes=dictionary)
    return frame, scores


def themes_frame(dictionary: Any) -> pd.DataFrame:
    import pandas as pd

    frameworks = {f.id: f.name for f in dictionary.frameworks}
    rows = [
        {
            "theme": t.id,
            "name": t.name,
            "name_en": t.name_en,
            "framework": t.framework,
            "framework_name": frameworks.get(t.framework, ""),
        }
        for t in dictionary.themes.values()
    ]
    return pd.DataFrame(rows)


def topics(corpus: Corpus, tokens: list[Tokens], dictionary: Any, cfg: PipelineConfig) -> Any:
    from govtext.topics import fit_topics

    # The dictionary seeds the seeded model and names every model's topics by theme overlap;
    # fit_topics also joins its multi-word terms into single tokens first.
    params: dict[str, Any] = {}
    if cfg.topics.n_free is not None:
        params["n_free"] = cfg.topics.n_free
    return fit_topics(
        corpus.documents,
        tokens,
        method=cfg.topics.method,
        k=cfg.topics.k,
        unit=cfg.topics.unit,
        dictionary=dictionary,
        random_state=cfg.topics.random_state,
        k_range=tuple(cfg.topics.k_range),
        min_df=cfg.topics.min_df,
        max_df=cfg.topics.max_df,
        **params,
    )


def compare(result: RunResult, tokens: list[Tokens], cfg: PipelineConfig) -> dict[str, pd.DataFrame]:
    from govtext.compare import compare_all, term_counts

    # Keyness and similarity on content words: stopwords and report filler words out.
    stopwords = make_segmenter(cfg).stopword_set()
    return compare_all(result, doc_term_counts=term_counts(tokens, stopwords=stopwords))


def dictionary_info(dictionary: Any) -> dict[str, Any]:
    return {
        "hash": dictionary.hash,
        "sources": [str(p) for p in dictionary.source_paths],
        "themes": len(dictionary.themes),
        "frameworks": len(dictionary.frameworks),
    }


def segmenter_info(cfg: PipelineConfig, tokens: list[Tokens]) -> dict[str, Any]:
    return {
        "hmm": cfg.segment.hmm,
        "user_dicts": cfg.segment.user_dicts,
        "settings_hash": tokens[0].settings_hash if tokens else "",
        "tokens": sum(len(t) for t in tokens),
    }


def package_versions() -> dict[str, str]:
    names = [
        "jieba",
        "rjieba",
        "pyahocorasick",
        "opencc",
        "gensim",
        "scikit-learn",
        "pandas",
        "numpy",
        "duckdb",
        "jinja2",
        "typer",
    ]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
