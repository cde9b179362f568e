"""Editors' judgements on tags: a hit marked wrong, or a theme the rules missed in a sentence.

Kept in the table ``judgements`` of a govtext DuckDB store (``govtext.store.Store``,
whose ``govtext.store.judgements`` part holds the SQL;
by default ``reports/serve/govtext.duckdb``), so ``govtext sql --store`` reads them
too. The store is opened for each write or export and closed again: a `govtext run`
or a scholar's query can open the same file between two judgements.

The JSON Lines export is the shape of the development set's references
(``tests/devset``): one line per judged sentence with its ``sha1``, the themes the
rules gave it (``predicted``), the themes it should have after the editors'
judgements (``themes``) and every judgement behind that.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.store.judgements import JUDGEMENT_COLUMNS

# The columns of a judgement row, as the store keeps them and the CSV export writes them.
COLUMNS = list(JUDGEMENT_COLUMNS)
VERDICTS = ("wrong", "missed")


def sha1(text: str) -> str:
    """The sentence fingerprint the development set uses (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Judgement:
    doc_id: str
    verdict: str
    theme: str
    sentence: str
    sentence_index: int | None = None
    rule: str = ""
    term: str = ""
    char_start: int | None = None
    char_end: int | None = None
    predicted: tuple[str, ...] = ()
    dictionary_hash: str = ""
    editor: str = ""
    note: str = ""


class JudgementStore:
    """Append and export judgements; safe to share between a server's threads.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "j.duckdb")
    >>> js = JudgementStore(path)
    >>> _ = js.add(Judgement("d1", "wrong", "self_governance", "广西壮族自治区。", 0, term="自治"))
    >>> [r["theme"] for r in js.rows()]
    ['self_governance']
    """

    def __init__(self, path: str | Path, *, wait: float = 3.0) -> None:
        self.path = Path(path)
        self.wait = wait  # seconds to wait for another process (a run, a query) to close the file
        self._lock = threading.Lock()

    def _open(self) -> Any:
        from govtext.store import Store, StoreLockedError

        deadline = time.monotonic() + self.wait
        while True:
            try:
                store = Store(self.path, memory_limit="256MB").open()
                break
            except StoreLockedError:
                # Another process has the file for a moment (`govtext sql`, a run): wait a
                # little, then let the caller say the store is busy.
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        store.ensure_judgements()
        return store

    def add(self, j: Judgement) -> dict[str, Any]:
        jid = uuid.uuid4().hex
        with self._lock:
            store = self._open()
            try:
                store.add_judgement(
                    {
                        "judgement_id": jid,
                        "doc_id": j.doc_id,
                        "verdict": j.verdict,
                        "theme": j.theme,
                        "rule": j.rule,
                        "term": j.term,
                        "char_start": j.char_start,
                        "char_end": j.char_end,
                        "sentence_index": j.sentence_index,
                        "sentence": j.sentence,
                        "sentence_sha1": sha1(j.sentence),
                        "predicted": ";".join(j.predicted),
                        "dictionary_hash": j.dictionary_hash,
                        "editor": j.editor,
                        "note": j.note,
                    }
                )
            finally:
                store.close()
        return next(r for r in self.rows() if r["judgement_id"] == jid)

    def rows(self) -> list[dict[str, Any]]:
        """Every judgement, oldest first (an empty list before the first one)."""
        with self._lock:
            if not self.path.exists():
                return []
            store = self._open()
            try:
                out = store.judgements()
            finally:
                store.close()
        for r in out:
            r["created"] = r["created"].isoformat(timespec="seconds") if r["created"] else ""
        return out


def export_csv(rows: Sequence[dict[str, Any]]) -> str:
    """One row per judgement (UTF-8 with BOM for Excel; formula-like cells neutralised)."""
    from govtext.cells import neutralise

    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: neutralise("" if r[k] is None else r[k]) for k in COLUMNS})
    return buf.getvalue()


def export_units(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judged sentences as labelled units: ``themes`` = the rules' themes, minus those an
    editor marked wrong, plus those an editor added (the later judgement wins on a theme
    judged both ways)."""
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["doc_id"], r["sentence_sha1"])
        u = units.get(key)
        if u is None:
            predicted = [t for t in (r["predicted"] or "").split(";") if t]
            u = units[key] = {
                "uid": f"serve:{r['doc_id']}:{_or_dash(r['sentence_index'])}:{r['sentence_sha1'][:12]}",
                "source": "govtext serve",
                "doc_id": r["doc_id"],
                "sentence_index": r["sentence_index"],
                "sha1": r["sentence_sha1"],
                "sentence": r["sentence"],
                "dictionary_hash": r["dictionary_hash"],
                "predicted": predicted,
                "_state": dict.fromkeys(predicted, True),
                "judgements": [],
            }
        u["_state"][r["theme"]] = r["verdict"] == "missed"
        u["judgements"].append(
            {
                k: r[k]
                for k in (
                    "judgement_id",
                    "created",
                    "verdict",
                    "theme",
                    "rule",
                    "term",
                    "char_start",
                    "char_end",
                    "editor",
                    "note",
                )
            }
        )
    out = []
    for u in units.values():
        state = u.pop("_state")
        u["themes"] = [t for t, keep in state.items() if keep]
        out.append(u)
    return out


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


def export_jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(u, ensure_ascii=False) + "\n" for u in export_units(rows))
