"""build_units: paragraph/document units, content-word filters and frequency bounds.

Also holds the small planted corpus the topic-model tests share: four pools of words
written for this project; words are joined by commas so jieba cuts them exactly.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from govtext.documents import Document
from govtext.errors import ConfigError, InputError
from govtext.segment import Segmenter
from govtext.tokens import Tokens
from govtext.topics import DEFAULT_STOPWORDS, build_units, is_content_word

POOLS: dict[str, list[str]] = {
    "law": ["法治", "依法", "执法", "普法", "法规", "司法", "律师", "诉讼", "条例", "守法"],
    "community": ["社区", "居民", "议事", "协商", "物业", "志愿者", "邻里", "楼道", "业主", "院落"],
    "economy": ["产业", "企业", "投资", "消费", "市场", "制造", "科技", "园区", "出口", "融资"],
    "hotline": ["热线", "诉求", "投诉", "回访", "工单", "办理", "群众", "满意", "响应", "派单"],
}

_SEGMENTER = Segmenter(pos=True)


def planted_documents(n_docs: int = 12, paras: int = 5, seed: int = 7) -> list[Document]:
    """Documents whose paragraphs each draw 9 of 12 words from one pool."""
    rng = random.Random(seed)
    names = list(POOLS)
    docs = []
    for d in range(n_docs):
        lines = []
        for p in range(paras):
            main = names[(d + p) % len(names)]
            words = rng.choices(POOLS[main], k=9) + [rng.choice(POOLS[rng.choice(names)]) for _ in range(3)]
            rng.shuffle(words)
            lines.append("，".join(words) + "。")
        docs.append(
            Document(doc_id=f"d{d:02d}", text="\n".join(lines), meta={"group": "odd" if d % 2 else "even"})
        )
    return docs


def tokens_for(docs: list[Document]) -> list[Tokens]:
    return [_SEGMENTER.tokens(d) for d in docs]


@pytest.fixture(scope="module")
def planted() -> tuple[list[Document], list[Tokens]]:
    docs = planted_documents()
    return docs, tokens_for(docs)


def test_topics_units_paragraph_ids_spans_and_tokens(planted):
    docs, toks = planted
    units = build_units(docs, toks, min_df=1, max_df=1.0)
    assert len(units) == sum(len(d.paragraphs) for d in docs)
    by_id = {d.doc_id: d for d in docs}
    for uid, did, (a, b), words in zip(
        units.unit_ids, units.doc_ids, units.spans, units.token_lists, strict=True
    ):
        assert uid.startswith(f"{did}#p")
        paragraph = by_id[did].text[a:b]
        assert (a, b) == by_id[did].paragraphs[int(uid.split("#p")[1])]
        assert all(w in paragraph for w in words)
        assert set(words) <= set(units.vocabulary)
    assert list(units.vocabulary) == sorted(units.vocabulary)


def test_topics_units_document_unit_keeps_every_content_word(planted):
    docs, toks = planted
    units = build_units(docs, toks, unit="document", min_df=1, max_df=1.0, stopwords=())
    assert units.unit_ids == tuple(d.doc_id for d in docs)
    pool_words = {w for ws in POOLS.values() for w in ws}
    for words, t in zip(units.token_lists, toks, strict=True):
        assert list(words) == [w for w in t.words if w in pool_words]


def test_topics_units_filter_drops_punctuation_digits_single_chars_and_stopwords():
    doc = Document(doc_id="x", text="我们要推进社区治理，2025年完成3个居民议事厅！\n推进法治社区建设。")
    units = build_units([doc], [_SEGMENTER.tokens(doc)], min_df=1, max_df=1.0)
    words = {w for ws in units.token_lists for w in ws}
    assert words, "some content words must survive"
    assert not words & DEFAULT_STOPWORDS
    assert all(is_content_word(w) for w in words)
    assert "社区" in words
    assert not any(w.isdigit() or len(w) < 2 for w in words)


def test_topics_units_keep_pos_restricts_tags(planted):
    docs, toks = planted
    nouns = build_units(docs, toks, keep_pos=("n",), min_df=1, max_df=1.0)
    tags = {w: p for t in toks for w, p in zip(t.words, t.pos or (), strict=True)}
    assert nouns.vocabulary and all(tags[w] == "n" for w in nouns.vocabulary)
    everything = build_units(docs, toks, keep_pos=None, min_df=1, max_df=1.0)
    assert set(nouns.vocabulary) < set(everything.vocabulary)


def test_topics_units_document_frequency_bounds():
    texts = ["法治，社区，热线", "法治，社区，投诉", "法治，企业，园区", "法治，楼道，物业"]
    docs = [Document(doc_id=f"u{i}", text=t) for i, t in enumerate(texts)]
    toks = tokens_for(docs)
    units = build_units(docs, toks, min_df=2, max_df=0.5)
    # 法治 is in 4/4 units (> half), 社区 in 2, the rest in 1.
    assert units.vocabulary == ("社区",)
    assert units.settings["n_empty"] == 2
    assert "法治" in build_units(docs, toks, min_df=1, max_df=1.0).vocabulary
    forced = build_units(docs, toks, min_df=2, max_df=0.5, keep_words=["园区"])
    assert set(forced.vocabulary) == {"社区", "园区"}


def test_topics_units_errors_name_the_problem(planted):
    docs, toks = planted
    with pytest.raises(InputError, match="d00"):
        build_units(docs, toks[1:])
    with pytest.raises(ConfigError, match="'unit' parameter"):
        build_units(docs, toks, unit="sentence")
    with pytest.raises(ConfigError, match="'max_df' parameter"):
        build_units(docs, toks, max_df=1.5)


def test_topics_units_tokens_matched_by_id_in_any_order(planted):
    docs, toks = planted
    a = build_units(docs, toks)
    b = build_units(docs, list(reversed(toks)))
    assert a == b and a.hash() == b.hash()


def test_topics_units_seed_page_paragraphs(seed_page: Path):
    doc = Document(doc_id="seed", text=seed_page.read_text(encoding="utf-8"))
    units = build_units([doc], [_SEGMENTER.tokens(doc)], min_df=2, max_df=0.5)
    assert len(units) > 10
    assert 0 < units.settings["n_empty"] + len(units) == len(doc.paragraphs)
    assert all(set(ws) <= set(units.vocabulary) for ws in units.token_lists)
    assert "治理" in units.vocabulary or "基层" in units.vocabulary


def test_topics_units_compound_tokens_join_split_seed_phrases():
    from govtext.topics import compound_tokens

    doc = Document(doc_id="c", text="推进楼院微治理和社区协商。楼院，微治理。")
    toks = _SEGMENTER.tokens(doc)
    assert "楼院微治理" not in toks.words  # jieba splits it
    joined = compound_tokens(toks, ["楼院微治理", "社区协商", "不存在的短语"])
    assert joined.words.count("楼院微治理") == 1  # the pair split by a comma stays apart
    assert "社区协商" in joined.words
    for w, a, b in zip(joined.words, joined.starts, joined.ends, strict=True):
        if w in ("楼院微治理", "社区协商"):
            assert doc.text[a:b] == w
    assert joined.pos is not None and joined.pos[joined.words.index("楼院微治理")] == "compound"
    units = build_units([doc], [toks], min_df=1, max_df=1.0, compounds=["楼院微治理"])
    assert "楼院微治理" in units.vocabulary and units.settings["compounds"] == ["楼院微治理"]


SEEDED_TEXTS = [
    "坚持依法行政，推进依法治国。\n社区治理，居民议事，依法行政。",
    "依法治国和依法行政，法治社区。\n\n社区治理靠居民，物业和业主协商。",
    "热线，诉求，依法。行政，投诉，回访。",  # 依法 / 行政 apart: not joined
]


def _reference_units(docs, toks, compounds, min_df, max_df):
    """build_units' rules token by token (the way it was first written): the yardstick
    for its array version."""
    from collections import Counter

    from govtext.topics.units import DEFAULT_KEEP_POS, compound_tokens

    forced, keep = set(compounds), set(DEFAULT_KEEP_POS)
    raw = []
    for doc, tok in zip(docs, toks, strict=True):
        tok = compound_tokens(tok, compounds)
        for k, (a, b) in enumerate(doc.paragraphs):
            words = [
                w
                for w, p, s in zip(tok.words, tok.pos, tok.starts, strict=True)
                if a <= s < b
                and (w in forced or (w not in DEFAULT_STOPWORDS and is_content_word(w) and p in keep))
            ]
            raw.append((f"{doc.doc_id}#p{k}", words))
    df = Counter(w for _, words in raw for w in set(words))
    n = sum(1 for _, words in raw if words)
    vocab = sorted(w for w, c in df.items() if min_df <= c <= int(max_df * n) or w in forced)
    kept = [(u, tuple(w for w in words if w in vocab)) for u, words in raw]
    return [(u, words) for u, words in kept if words], vocab


def test_topics_units_from_packed_tokens_as_from_plain_ones_and_nothing_decoded(tmp_path):
    """Tokens as a worker's batch and as the store gives them back are read as ids: the
    same units as from plain tuples (and as the rules token by token), and the tokens
    are left as packed as they came."""
    from govtext.documents import content_hash
    from govtext.store import Store

    docs = planted_documents(n_docs=6) + [
        Document(doc_id=f"s{i}", text=t) for i, t in enumerate(SEEDED_TEXTS)
    ]
    compounds = ["依法行政", "依法治国", "社区治理", "居民议事会"]
    plain = tokens_for(docs)
    batch = _SEGMENTER.tokens_batch([d.text for d in docs])
    batched = [batch.tokens(i, d.doc_id) for i, d in enumerate(docs)]
    with Store(tmp_path / "s.duckdb") as store:
        store.put_tokens((content_hash(d.text), t) for d, t in zip(docs, plain, strict=True))
        got = store.get_tokens((content_hash(d.text), _SEGMENTER.settings_hash) for d in docs)
        stored = [got[(content_hash(d.text), _SEGMENTER.settings_hash)].with_doc_id(d.doc_id) for d in docs]
        built = [
            build_units(docs, toks, min_df=2, max_df=0.8, compounds=compounds)
            for toks in (plain, batched, stored)
        ]
    assert built[0] == built[1] == built[2]
    assert len({u.hash() for u in built}) == 1
    expected, vocab = _reference_units(docs, plain, compounds, 2, 0.8)
    assert list(zip(built[0].unit_ids, built[0].token_lists, strict=True)) == expected
    assert list(built[0].vocabulary) == vocab and "依法行政" in vocab
    from govtext.compare import doc_term_matrix

    expected_counts = doc_term_matrix(plain)  # the comparison reads every word too
    for toks in (batched, stored):
        counts = doc_term_matrix(toks)
        assert counts.terms.tolist() == expected_counts.terms.tolist()
        assert (counts.counts != expected_counts.counts).nnz == 0
    for tok in batched + stored:
        assert tok.words._items is None and tok.pos._items is None  # type: ignore[union-attr]
        assert tok.starts._items is None and tok.starts._raw._arrays is None  # type: ignore[attr-defined]
    doc_units = [
        build_units(docs, toks, unit="document", compounds=compounds) for toks in (plain, batched, stored)
    ]
    assert doc_units[0] == doc_units[1] == doc_units[2]
    assert doc_units[0].unit_ids == tuple(d.doc_id for d in docs)


def test_topics_units_term_rows_read_as_words(planted):
    docs, toks = planted
    units = build_units(docs, toks, min_df=1, max_df=1.0)
    rows = units.token_lists
    indptr, ids = units.term_rows()
    assert len(rows) == len(units) and units.n_tokens == len(ids) == indptr[-1]
    assert rows[-1] == rows[len(rows) - 1] and rows[1:3] == (rows[1], rows[2])
    assert all(
        tuple(units.vocabulary[i] for i in ids[indptr[k] : indptr[k + 1]]) == rows[k]
        for k in range(len(rows))
    )
    as_tuples = type(units)(
        units.unit_ids, units.doc_ids, tuple(rows), units.vocabulary, units.spans, units.settings
    )
    assert as_tuples.hash() == units.hash()
    assert (as_tuples.counts() != units.counts()).nnz == 0
    # int32 ids and offsets (half the memory of the job sent to the fit's own process),
    # the same counts as the int64 ones of units given as tuples
    assert ids.dtype == indptr.dtype == np.int32
    assert as_tuples.term_rows()[1].dtype == np.int64
    assert units.counts().indices.dtype == as_tuples.counts().indices.dtype
    assert units.term_rows()[0] is indptr and np.diff(indptr).tolist() == [len(r) for r in rows]
    assert as_tuples.to_frame().equals(units.to_frame())
    with pytest.raises(IndexError):
        rows[len(rows)]
