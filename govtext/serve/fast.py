"""POST /v1/tag without FastAPI's per-request machinery, for the requests that need none of it.

FastAPI answers a tag request by solving five dependencies, validating the body with
pydantic and the options one by one, and handing the work to anyio's worker thread:
about 0.8 ms of CPU per request on this project's 2-core machine, a third of a dense
article's whole cost. Nearly every request is the plain case: a JSON object with a
non-blank ``text``, the other fields of the right type and length, known options with
ordinary values. ``plain_tag_request`` recognises exactly that case with a few type
checks and answers it directly (the same tagging, the same JSON bytes); anything else
(invalid JSON, a wrong type, an unknown field or option, an odd spelling of an option's
value, a lone surrogate in a checked field, blank text) returns None and goes through
the FastAPI route, which writes the error as it always did. ``tests/test_serve_bytes.py``
pins the bytes of both kinds of answer.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from govtext.serve.responses import ApiError

# The fields of ``routes.Article`` and the limits pydantic checks on them.
_FIELDS = frozenset(("id", "title", "text", "metadata"))
_MAX_ID, _MAX_TITLE = 500, 2000
# pydantic refuses a lone surrogate in a field with a length limit (id, title), not in text.
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_EVIDENCE = re.compile(r"[1-9][0-9]{0,2}|1000")
DEFAULT_OPTIONS: dict[str, Any] = {"evidence": 3, "hits": True, "explain": False, "sentences": False}


def _options(query: bytes) -> dict[str, Any] | None:
    """The tag options of a query string, or None unless every one is known, given once
    and spelt in the plainest way (a number 1–1000; true/false/1/0)."""
    if not query:
        return DEFAULT_OPTIONS
    opts = dict(DEFAULT_OPTIONS)
    seen = set()
    # As Starlette reads a query string (latin-1, blank values kept).
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key in seen or key not in opts:
            return None
        seen.add(key)
        if key == "evidence":
            if not _EVIDENCE.fullmatch(value):
                return None
            opts[key] = int(value)
        else:
            flag = _BOOLS.get(value)
            if flag is None:
                return None
            opts[key] = flag
    return opts


def plain_tag_request(
    body: bytes, query: bytes
) -> tuple[str, str, str, dict[str, Any], dict[str, Any]] | None:
    """(text, doc id, title, metadata, options) of a plain POST /v1/tag, or None for
    anything the FastAPI route must judge (it then answers exactly as before)."""
    opts = _options(query)
    if opts is None:
        return None
    try:
        data = json.loads(body)  # what Starlette's Request.json() does
    except ValueError:
        return None
    if type(data) is not dict or not _FIELDS.issuperset(data):
        return None
    text = data.get("text")
    if type(text) is not str or not text.strip():
        return None
    doc_id = data.get("id")
    if doc_id is None:
        doc_id = ""
    elif type(doc_id) is not str or len(doc_id) > _MAX_ID or _SURROGATE.search(doc_id):
        return None
    title = data.get("title", "")
    if type(title) is not str or len(title) > _MAX_TITLE or _SURROGATE.search(title):
        return None
    metadata = data.get("metadata")
    if metadata is None:
        metadata = {}
    elif type(metadata) is not dict:
        return None
    return text, doc_id, title, metadata, opts


# A plain request whose text is at most this long is tagged on the event loop, not in a
# worker thread: the hand-over costs about 0.1 ms of CPU (a twentieth of a dense
# 3,000-character article's work), and the work is bounded far below the time limit (the
# matching is linear in the text: about 4 ms for 8,000 dense characters; a dictionary's
# look-around patterns, the only backtracking kind it admits, stop at their own budget of
# ``patterns.DEFAULT_TIME_LIMIT`` per document). Longer texts, or a time limit too short
# for that budget, go to a thread as before.
INLINE_CHARS = 8000
INLINE_MIN_LIMIT = 2.0

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    # As many threads as anyio's default limiter allows (40); made on first use, so a
    # worker process makes its own.
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=40, thread_name_prefix="govtext-serve")
    return _executor


async def run_limited(time_limit: float, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread, answering 503 when it passes the time limit.

    A Python thread cannot be stopped from outside: the abandoned work runs to its
    end in the background, but the client gets its answer at the limit. (asyncio's
    executor hand-over costs less than anyio's ``to_thread``: no capacity limiter, no
    cancel scope.)
    """
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(_pool(), fn), time_limit)
    except TimeoutError:
        raise ApiError(
            503,
            "time_limit",
            f"the request took longer than the server's limit of {time_limit:g} s "
            "(--time-limit); send a shorter text or fewer articles",
        ) from None


def inline(request: tuple[str, str, str, dict[str, Any], dict[str, Any]], time_limit: float) -> bool:
    """Whether a plain request is tagged on the event loop (see ``INLINE_CHARS``)."""
    return len(request[0]) <= INLINE_CHARS and time_limit >= INLINE_MIN_LIMIT


def tag_call(
    matcher: Any, request: tuple[str, str, str, dict[str, Any], dict[str, Any]]
) -> Callable[[], Any]:
    """The work of a plain tag request, as the FastAPI route does it (``service.tag_text``
    looked up when called, as the route does)."""
    from govtext.serve import service

    text, doc_id, title, metadata, opts = request
    return partial(service.tag_text, matcher, text, doc_id, title, metadata=metadata, **opts)
