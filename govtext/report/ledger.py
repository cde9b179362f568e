"""Re-using a report whose inputs have not changed.

Beside the files a report writes, ``.govtext-outputs.json`` (the ledger) records the
hash of everything they were made from (``report_key``: the content of every table,
the documents, hits and themes, the settings, formats, font, the govtext version and the
code and templates that render them) and the SHA-256 of each file. A re-run whose key
is the same, over files whose own hashes still match, leaves the folder as it is: no
figure drawn, no workbook written, every byte and mtime kept. Anything else (a changed
input or setting, a file edited, deleted or half-written) and the report is written
afresh, atomically.

The timings and start time of a run are not part of the key: a report left in place
keeps the run.json, timings included, of the run that wrote it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

LEDGER = ".govtext-outputs.json"
LEDGER_FORMAT = 1
# Settings that change from run to run without changing what a report shows.
VOLATILE_SETTINGS = ("timings_s", "started")
_CODE = Path(__file__).parent


def code_digest() -> str:
    """A hash of the code and templates that render a report (govtext/report/, cells.py)."""
    from govtext.compare.cached import package_digest

    return package_digest(_CODE, also=[_CODE.parent / "cells.py"])


def report_key(
    frames: Mapping[str, pd.DataFrame], info: Mapping[str, Any], options: Mapping[str, Any]
) -> str:
    """The hash of a report's inputs: each named frame's content, the run facts ``info``
    (run_info, without the volatile settings) and the writer's ``options``."""
    import govtext
    from govtext.compare.cached import frame_digest

    settings = {k: v for k, v in (info.get("settings") or {}).items() if k not in VOLATILE_SETTINGS}
    if isinstance(settings.get("topics"), Mapping):  # a refit's seconds, not its topics
        settings["topics"] = {k: v for k, v in settings["topics"].items() if k != "fit_seconds"}
    facts = {
        "ledger": LEDGER_FORMAT,
        "govtext": govtext.__version__,
        "code": code_digest(),
        "info": {**info, "settings": settings},
        "options": options,
        "frames": {name: frame_digest(frame) for name, frame in frames.items()},
    }
    return hashlib.blake2b(_dumps(facts).encode(), digest_size=16).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ledger_text(key: str, out: Path, files: Mapping[str, Path], warnings: Iterable[str]) -> str:
    """The ledger of a report just written into ``out``: its key and each file's hash."""
    entries = {
        name: {"path": str(path.relative_to(out)), "sha256": file_digest(path), "size": path.stat().st_size}
        for name, path in files.items()
    }
    return _dumps({"format": LEDGER_FORMAT, "key": key, "files": entries, "warnings": list(warnings)}) + "\n"


def intact(out: Path, key: str) -> tuple[dict[str, Path], list[str]] | None:
    """The files (by ReportFiles key) and warnings of the report in ``out`` when its ledger
    has ``key`` and every file is there with the hash recorded; else None."""
    try:
        ledger = json.loads((out / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(ledger, dict) or ledger.get("format") != LEDGER_FORMAT or ledger.get("key") != key:
        return None
    files: dict[str, Path] = {}
    try:
        for name, entry in ledger["files"].items():
            path = out / entry["path"]
            # the size first: a truncated or grown file fails without being read
            if path.stat().st_size != entry["size"] or file_digest(path) != entry["sha256"]:
                return None
            files[name] = path
    except (OSError, KeyError, TypeError, AttributeError):
        return None
    return files, [str(w) for w in ledger.get("warnings", [])]


def _dumps(data: Any) -> str:
    from govtext.report.io import to_jsonable

    return json.dumps(to_jsonable(data), ensure_ascii=False, sort_keys=True)
