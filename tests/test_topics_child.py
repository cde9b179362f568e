"""The topic fit in its own process (govtext.topics.child) gives the model fitting here
gives, passes the fit's errors on, and falls back to fitting here when the child is gone.
Real input: the 21 provincial reports of ../shared/corpus."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govtext.errors import ConfigError
from govtext.topics import child as child_module
from govtext.topics.child import TopicChild
from govtext.topics.workflow import TopicJob, fit_job, prepare_topics

# One K, so that each fit takes a second or two.
SETTINGS = {"method": "seeded", "k": 14, "random_state": 3}


@pytest.fixture(scope="module")
def job(provincial_dir: Path) -> TopicJob:
    from govtext.ingest import read_corpus
    from govtext.segment import Segmenter

    corpus = read_corpus([provincial_dir])
    segmenter = Segmenter(pos=True)
    tokens = [segmenter.tokens(doc) for doc in corpus]
    prepared = prepare_topics(corpus.documents, tokens, **SETTINGS)
    assert isinstance(prepared, TopicJob)
    assert len(prepared.units) > 1000 and prepared.presence  # paragraphs, and rule hits to check names by
    return prepared


def _copy(job: TopicJob) -> TopicJob:
    return pickle.loads(pickle.dumps(job))


def _same_model(a, b) -> None:
    np.testing.assert_array_equal(a.doc_topic_, b.doc_topic_)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.topic_terms(10), b.topic_terms(10))
    pd.testing.assert_frame_equal(a.k_curve_, b.k_curve_)
    pd.testing.assert_frame_equal(a.name_checks_, b.name_checks_)
    assert a.renamed_ == b.renamed_ and a.fit_warnings_ == b.fit_warnings_


def test_the_child_fits_the_model_this_process_fits(job: TopicJob) -> None:
    here, caught_here = fit_job(_copy(job))
    child = TopicChild()
    proc = child.proc
    try:
        theirs = _copy(job)
        assert child.take(theirs)
        reply = child._reply()
        # having answered, the child ends by itself (no teardown the run would wait for)
        proc.join(timeout=60)
        assert proc.exitcode == 0
        child._reply = lambda: reply  # the answer it gave, read above
        model, caught = child.result()
    finally:
        child.close()
    _same_model(model, here)
    # the run's own dictionary goes back on the model (the child's copy is dropped)
    assert model.dictionary is theirs.model.dictionary
    assert [(str(m), c) for m, c, *_ in caught] == [(str(m), c) for m, c, *_ in caught_here]
    assert child.answered and child.proc is None  # the child's answer; then it exited


def test_a_child_that_dies_leaves_the_fit_to_this_process(job: TopicJob) -> None:
    here, _ = fit_job(_copy(job))
    child = TopicChild()
    mine = _copy(job)
    assert child.take(mine)
    child.proc.kill()  # killed before it could answer (out of memory, a signal)
    model, _ = child.result()
    assert not child.answered and child.sent is None
    _same_model(model, here)
    assert model.dictionary is mine.model.dictionary  # the run's own, as from the child


def test_a_handed_over_job_is_let_go_of_here(job: TopicJob) -> None:
    import gc
    import weakref

    mine = _copy(job)
    units = weakref.ref(mine.units)
    child = TopicChild()
    try:
        assert child.take(mine)
        kept = child.job
        assert kept is not None and len(kept.units) == 0 and kept.presence is None
        assert kept.key == job.key and kept.model is mine.model
        sent = child.sent  # the fallback's input, as sent: in a temporary file, not in memory
        assert sent is not None and not isinstance(sent, bytes)
        sent.seek(0)
        assert pickle.loads(sent.read()).key == job.key
        del mine
        gc.collect()
        assert units() is None  # the units' only holder here was the job
        model, _ = child.result()
        assert child.sent is None and sent.closed  # answered: the pickle is let go of too
    finally:
        child.close()
    assert len(model.doc_topic_) == len(job.units)


def test_the_fits_own_error_is_raised_here(job: TopicJob) -> None:
    bad = _copy(job)
    bad.model.set_params(min_seed_count=0)  # not a valid setting: the fit says which
    child = TopicChild()
    assert child.take(bad)
    with pytest.raises(ConfigError, match="min_seed_count"):
        child.result()
    with pytest.raises(ConfigError, match="min_seed_count"):  # the same error as fitting here
        fit_job(_copy(bad))


def test_a_child_without_a_job_exits_when_closed() -> None:
    child = TopicChild()
    proc = child.proc
    child.close()
    assert not proc.is_alive() and proc.exitcode == 0


def test_a_run_with_two_workers_fits_in_the_child_and_gets_the_same_tables(
    provincial_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govtext.engine import EngineConfig
    from govtext.pipeline import analyze, default_pipeline

    taken: list[int] = []
    real_take = TopicChild.take

    def take(self: TopicChild, job: TopicJob) -> bool:
        sent = real_take(self, job)
        taken.append(int(sent))
        return sent

    def cfg(workers: int):
        c = default_pipeline()
        c.engine = EngineConfig(workers=workers)
        c.topics.k = 10
        return c

    from govtext import stages

    warmed: list[str] = []
    monkeypatch.setattr(stages, "import_for_report", lambda c, *result_tables: warmed.append(c.name))
    one = analyze([provincial_dir], config=cfg(1))
    assert taken == [] and warmed == []  # one worker: fitted in the run's process, no wait to fill
    monkeypatch.setattr(TopicChild, "take", take)
    monkeypatch.setattr(child_module, "SMALL_JOB", 0)  # 21 reports are below the size a child pays for
    two = analyze([provincial_dir], config=cfg(2), report_next=True)
    assert taken == [1] and warmed == ["default"]  # the wait for the child's model filled once
    analyze([provincial_dir], config=cfg(2))  # no report next: no report child started for it
    assert taken == [1, 1] and warmed == ["default"]
    topic_tables = [n for n in one.tables if n.startswith("topic")]
    assert topic_tables and list(two.tables) == list(one.tables)
    for name in one.tables:
        pd.testing.assert_frame_equal(two.tables[name], one.tables[name], obj=name)
    assert two.settings["warnings"] == one.settings["warnings"]


def test_the_wait_imports_what_the_report_draws_with_only_when_it_draws() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from govtext import stages\n"
        "from govtext.config import default_pipeline\n"
        "cfg = default_pipeline()\n"
        "cfg.report.formats = sys.argv[1].split(',')\n"
        "stages.import_for_report(cfg)\n"
        "print('matplotlib.figure' in sys.modules, 'matplotlib.backends.backend_agg' in sys.modules)\n"
    )
    for formats, imported in (
        ("csv,json", "False False"),
        ("html,csv", "True True"),
        ("figures", "True True"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", code, formats], capture_output=True, text=True, timeout=120
        )
        assert done.stdout.strip() == imported, done.stderr
