"""The topic fit's own process, beside the run's (issue 20).

On ../shared/corpus the topic stage held one core for ~5 s while the other idled, and
the comparison tables (~1.4 s) and the hit and document tables do not need the topic
model. So the run builds the units itself (``prepare_topics``), hands the ``TopicJob``
to a child process that fits it (the candidate models, the chosen one, every unit's
shares, the name checks: ``fit_job``), and makes the comparison tables meanwhile.

The child is started once no stored model serves, before the units are built, so that
importing gensim and scipy (~0.8 CPU-s) happens on the other core while
they are built; started earlier, it slowed the reading and segmenting that keep both
cores busy. Jobs of fewer than ``SMALL_JOB`` units are fitted in the run's process:
the fit is then shorter than the child's imports.
It is a fresh interpreter (spawn), not a fork: a fork of a run holding gigabytes would
count them again and take its threads' locks along. The model it sends back is the one
``fit_job`` gives in this process (the same code on the same pickled inputs; a test
holds them equal). Errors of the fit (too few units, a bad setting) come back and are
raised here as they would have been; if the child itself is gone (killed, out of
memory), the fit runs here: the run never lacks its model for want of a process.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

# Fewer units than this are fitted in the run's process (a second or less of fitting).
SMALL_JOB = 2000

if TYPE_CHECKING:
    from govtext.topics.model import TopicModel
    from govtext.topics.workflow import Caught, TopicJob


def _serve(conn: Any) -> None:
    """The child: import what a fit needs, then fit the one job it is sent (None: exit)."""
    # Imported before the job comes: this is what the early start is for. pandas is
    # for the fitted model's tables (~0.3 s, on the run's critical path if imported
    # after the job came: the run waits for this child).
    import gensim.models.ldamodel  # noqa: F401
    import pandas  # noqa: F401
    import scipy.sparse  # noqa: F401

    from govtext.topics.workflow import fit_job

    try:
        job = conn.recv()
    except (EOFError, OSError):  # the run ended (or failed) before it had a job
        return
    if job is None:
        return
    try:
        model, caught = fit_job(job)
        # The units (~0.1 GB on 100 MB) are not in the reply: let go of before it is
        # pickled, the tree's peak beside the run receiving it (issue 20).
        del job
        model.dictionary = None  # the run's own copy is put back there
        reply = ("ok", model, caught)
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # the fit's own error, raised again in the run
        try:
            data = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: its type and message
            data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.send_bytes(data)
    # The reply is in the pipe: end now. Freeing gensim's, scipy's and the units'
    # objects one by one took ~0.3-0.5 s, which the run spent waiting in ``close``.
    from govtext.exit import leave

    leave(0)


def _spilled(data: bytes) -> Any:
    """``data`` in an anonymous temporary file (deleted once closed), or ``data`` itself
    if no file can be written: the job's pickle (~40 MB on 100 MB) is kept only for a
    fit here should the child die, and in memory it sat in the run's process through the
    comparison, beside the child's fit (the tree's peak; issue 20)."""
    import tempfile

    try:
        spill = tempfile.TemporaryFile(prefix="govtext-topics-")
    except OSError:
        return data
    try:
        spill.write(data)
        spill.flush()
    except OSError:
        spill.close()
        return data
    return spill


class TopicChild:
    """A child process waiting for one ``TopicJob``: ``take`` hands it over, ``result``
    waits for the fitted model, ``close`` ends a child that got no job (or an unread one).

    A child that could not start, or died, leaves the work to this process: ``result``
    then fits here."""

    def __init__(self) -> None:
        import multiprocessing as mp

        self.proc: Any = None
        self.conn: Any = None
        self.job: TopicJob | None = None  # handed over: its units are the child's
        self.sent: Any = None  # the job as sent (bytes or a temporary file), for a fit here if the child dies
        self.answered = False
        self.sender: threading.Thread | None = None
        try:
            ctx = mp.get_context("spawn")
            self.conn, theirs = ctx.Pipe()
            self.proc = ctx.Process(target=_serve, args=(theirs,), daemon=True, name="govtext-topics")
            self.proc.start()
            theirs.close()
        except Exception:  # no process to start here: the fit runs in this one
            self.proc = None

    def take(self, job: TopicJob) -> bool:
        """Send ``job`` to the child (pickled here, written by a thread: the child may
        still be importing, and a pipe holds only 64 KiB). False, and nothing sent,
        when there is no child or the job does not pickle: the caller fits it."""
        if self.proc is None:
            return False
        try:
            data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return False
        # Only the pickle is kept, not the units and rule hits it came from: objects
        # held in the run beside the child's copy, through the comparison, the run's
        # memory peak on 100 MB (issue 20). The pickle is the fallback's input.
        self.job, self.sent = job.handed_over(), _spilled(data)
        conn = self.conn

        def send() -> None:
            try:
                conn.send_bytes(data)
            except (OSError, TypeError, ValueError):  # the child is gone (or closed): result() fits here
                pass

        self.sender = threading.Thread(target=send, daemon=True, name="govtext-topics-send")
        self.sender.start()
        return True

    def result(self) -> tuple[TopicModel, Sequence[Caught]]:
        """The fitted model and the warnings met fitting it; the fit's error is raised."""
        from govtext.topics.workflow import fit_job

        job = self.job
        if job is None:
            raise RuntimeError("TopicChild.result() before take()")
        reply = self._reply()
        self.close()
        if reply is None:  # the job's own pickle, unpickled here
            model, caught = fit_job(pickle.loads(self._sent()))
            model.dictionary = job.model.dictionary
            return model, caught
        self._drop_sent()
        if reply[0] == "error":
            raise reply[1]
        _, model, caught = reply
        model.dictionary = job.model.dictionary
        return model, caught

    def _sent(self) -> bytes:
        data, self.sent = self.sent, None
        if data is None:
            raise RuntimeError("TopicChild: the job was already fitted")
        if isinstance(data, bytes):
            return data
        with data:
            data.seek(0)
            return data.read()

    def _reply(self) -> Any:
        if self.proc is None:
            return None
        try:
            data = self.conn.recv_bytes()
        except (EOFError, OSError):  # the child died before it answered
            return None
        self.answered = True
        return pickle.loads(data)  # our own child's reply

    def _drop_sent(self) -> None:
        sent, self.sent = self.sent, None
        if sent is not None and not isinstance(sent, bytes):
            sent.close()  # the temporary file goes with it

    def close(self) -> None:
        """End the child: it exits by itself once it has answered or is told there is
        no job; one still fitting (the run failed on the way) is stopped."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if self.sender is None:
            try:
                self.conn.send(None)
            except OSError:
                pass
        elif not self.answered:
            proc.terminate()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        if self.sender is not None:  # a write to a dead child fails at once
            self.sender.join(timeout=5)
        self.conn.close()
