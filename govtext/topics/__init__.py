"""Topic models over governance texts: units, LDA/NMF/seeded LDA, coherence, K, labels."""

from govtext.topics.model import (
    DEFAULT_K_RANGE,
    DEFAULT_METHOD,
    DEFAULT_SAMPLE_SIZE,
    METHODS,
    TopicModel,
    TopicWarning,
    max_topics,
)
from govtext.topics.quality import TopicQuality, choose_k, coherence, diversity, unit_coherence
from govtext.topics.seeds import (
    load_theme_dictionary,
    names_from_dictionary,
    resolve_seeds,
    seeds_from_dictionary,
)
from govtext.topics.units import (
    DEFAULT_KEEP_POS,
    DEFAULT_STOPWORDS,
    Units,
    build_units,
    compound_tokens,
    is_content_word,
)
from govtext.topics.workflow import fit_topics, topic_tables, topics_from_paths, write_topic_tables

__all__ = [
    "DEFAULT_KEEP_POS",
    "DEFAULT_K_RANGE",
    "DEFAULT_METHOD",
    "DEFAULT_SAMPLE_SIZE",
    "DEFAULT_STOPWORDS",
    "METHODS",
    "TopicModel",
    "TopicQuality",
    "TopicWarning",
    "Units",
    "build_units",
    "choose_k",
    "coherence",
    "compound_tokens",
    "diversity",
    "fit_topics",
    "is_content_word",
    "load_theme_dictionary",
    "max_topics",
    "names_from_dictionary",
    "resolve_seeds",
    "seeds_from_dictionary",
    "topic_tables",
    "topics_from_paths",
    "unit_coherence",
    "write_topic_tables",
]
