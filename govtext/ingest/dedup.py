"""Duplicates: exact copies (same text up to whitespace) and near copies (reprints with small edits).

Near-duplicates are found with MinHash over character 5-gram shingles and LSH banding,
in numpy with fixed seeds so the same corpus always gets the same flags. A duplicate is
flagged in its metadata (``duplicate_of``, ``duplicate_kind``, ``duplicate_similarity``)
and linked to the earliest document it copies; nothing is dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from govtext.documents import Document, content_hash

if TYPE_CHECKING:
    import numpy as np

SHINGLE = 5  # characters; short enough to survive small edits, long enough to be specific in Chinese
NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: pairs above ~0.5 Jaccard become candidates
MIN_CHARS = 50  # shorter texts are compared exactly only
_SPACE = re.compile(r"\s+")
_BIN_BITS = 6  # 2**6 == NUM_PERM bins
_EMPTY = (1 << 64) - 1  # marks a bin no shingle fell into


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard: equal bins over bins not empty in both (the OPH estimator)."""
    both = (a != _EMPTY) | (b != _EMPTY)
    n = int(both.sum())
    return float(((a == b) & both).sum()) / n if n else 0.0


class Deduplicator:
    """Streaming duplicate detector: :meth:`check` each document in order.

    >>> d = Deduplicator()
    >>> d.check(Document("a", "同一段文字。" * 20)), d.check(Document("b", "同一段文字。" * 20))["duplicate_of"]
    (None, 'a')
    """

    def __init__(self, threshold: float = 0.8, *, random_state: int = 20240601) -> None:
        self.threshold = threshold
        self.random_state = random_state
        self._exact: dict[str, str] = {}
        # Everything kept per document is compact, since it is kept for the whole corpus:
        # signatures as rows of one growing array, LSH buckets keyed by a 64-bit fold of
        # the band (a collision only adds a candidate, which the similarity then checks)
        # and holding a document's number, or a list of numbers once a bucket is shared.
        self._ids: list[str] = []
        self._sigs: np.ndarray | None = None
        self._buckets: list[dict[int, Any]] = [{} for _ in range(BANDS)]

    def check(self, doc: Document, fingerprint: Fingerprint | None = None) -> dict[str, str] | None:
        """Metadata linking ``doc`` to an earlier copy, or None; records ``doc`` either way.

        ``fingerprint``: ``fingerprint(doc.text, ...)`` computed elsewhere (ingest computes
        it where the file is read, in an engine worker), else computed here.
        """
        if fingerprint is None:
            fingerprint = self.fingerprint(doc.text)
        key, sig, folds = fingerprint
        if key in self._exact:
            return {
                "duplicate_of": self._exact[key],
                "duplicate_kind": "exact",
                "duplicate_similarity": "1.00",
            }
        self._exact[key] = doc.doc_id
        if sig is None:
            return None
        best, best_sim = -1, 0.0
        seen: set[int] = set()
        me = len(self._ids)
        for band, fold in enumerate(folds):
            if fold is None:
                continue  # empty bins agree between any two short texts: no evidence of copying
            buckets = self._buckets[band]
            members = buckets.get(fold)
            if members is None:
                buckets[fold] = me
                continue
            if isinstance(members, int):
                members = buckets[fold] = [members]
            for other in members:
                if other not in seen:
                    seen.add(other)
                    sim = _similarity(self._sigs[other], sig)  # type: ignore[index]
                    if sim > best_sim:
                        best, best_sim = other, sim
            members.append(me)
        self._store(doc.doc_id, sig)
        if best >= 0 and best_sim >= self.threshold:
            return {
                "duplicate_of": self._ids[best],
                "duplicate_kind": "near",
                "duplicate_similarity": f"{best_sim:.2f}",
            }
        return None

    def _store(self, doc_id: str, sig: np.ndarray) -> None:
        import numpy as np

        n = len(self._ids)
        if self._sigs is None or n == len(self._sigs):
            grown = np.empty((max(64, 2 * n), NUM_PERM), dtype=np.uint64)
            if self._sigs is not None:
                grown[:n] = self._sigs
            self._sigs = grown
        self._sigs[n] = sig
        self._ids.append(doc_id)

    def fingerprint(self, text: str) -> Fingerprint:
        """What :meth:`check` compares (see the module function ``fingerprint``)."""
        return fingerprint(text, self.threshold, self.random_state)


# The exact key (hash of the text without whitespace), the near-duplicate signature
# (None when the text is too short or near copies are not looked for) and its LSH band
# keys (a 64-bit fold of each band; None for a band with an empty bin).
Fingerprint = tuple[str, "np.ndarray | None", "list[int | None]"]


def fingerprint(text: str, threshold: float = 0.8, random_state: int = 20240601) -> Fingerprint:
    """A document's fingerprint for :meth:`Deduplicator.check`: independent of every other
    document, so it can be computed in parallel wherever the text is read."""
    compact = _SPACE.sub("", text)
    key = content_hash(compact)
    if threshold > 1 or len(compact) < MIN_CHARS:
        return key, None, []  # before numpy is imported: `govtext tag` on a short text never needs it
    import numpy as np

    sig = _signature(compact, random_state)
    by_band = sig.reshape(BANDS, NUM_PERM // BANDS)
    full = (by_band != _EMPTY).all(axis=1).tolist()
    folds = np.bitwise_xor.reduce(by_band, axis=1).tolist()
    return key, sig, [f if ok else None for f, ok in zip(folds, full, strict=True)]


_PARAMS: dict[int, Any] = {}


def _signature(compact: str, random_state: int) -> np.ndarray:
    """One-permutation MinHash: the 5-gram hashes fall into NUM_PERM bins by their top bits
    and each bin keeps its smallest hash (one sort instead of NUM_PERM hash passes)."""
    import numpy as np

    if random_state not in _PARAMS:
        rng = np.random.default_rng(random_state)
        _PARAMS[random_state] = rng.integers(1, 1 << 63, size=2, dtype=np.uint64) | np.uint64(1)
    mult, mix = _PARAMS[random_state]
    codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):  # polynomial hash of each 5-gram, with uint64 wrap-around
        h = h * mult + codes[j : j + n]
    h ^= h >> np.uint64(29)  # splitmix-style finaliser so the top bits are well mixed
    h *= mix
    h ^= h >> np.uint64(32)
    h.sort()
    shift = np.uint64(64 - _BIN_BITS)
    starts = np.arange(NUM_PERM, dtype=np.uint64) << shift
    idx = np.minimum(np.searchsorted(h, starts), n - 1)
    first = h[idx]
    return np.where((first >> shift) == np.arange(NUM_PERM, dtype=np.uint64), first, _EMPTY)
