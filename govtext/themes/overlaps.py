"""Which of a document's occurrences count: overlap resolution among those of one theme
(one mention, one hit), and the occurrences whose verdict no hit depends on.

Rows are those of ``Matcher._verdicts``: ``[start, end, theme, rule, text, status,
reason, start - end, rule id]``.
"""

from __future__ import annotations

import bisect
from operator import itemgetter
from typing import Any

from govtext.themes.conditions import RuleChecks


def covers(rules: tuple[RuleChecks, ...], payloads: dict[str, list[int]]) -> dict[Any, Any]:
    """For each term (normalised) of a rule with conditions: the longer terms that hold
    it, by the offset it has in them, of rules without conditions and of each of its
    themes, as ``{(rule index, term): ((offset, (longer term, ...)), ...)}``.

    An occurrence inside a longer one of the same theme that counts can only be
    subsumed by it (overlap resolution keeps the longest, and the shorter one widens no
    cluster), counted or vetoed: ``transform`` need not check its conditions.
    """
    plain: dict[str, set[str]] = {}  # theme -> terms of its rules without conditions
    for key, entries in payloads.items():
        for idx in entries:
            if not rules[idx].conditional:
                for theme in rules[idx].rule.themes:
                    plain.setdefault(theme, set()).add(key)
    out: dict[Any, Any] = {}
    for key, entries in payloads.items():
        for idx in entries:
            checks = rules[idx]
            if not checks.conditional or not key:
                continue
            longer = set.intersection(*(plain.get(t, set()) for t in checks.rule.themes))
            by_offset: dict[int, list[str]] = {}
            for c in sorted(longer):
                if len(c) > len(key):
                    for k in range(len(c) - len(key) + 1):
                        if c.startswith(key, k):
                            by_offset.setdefault(k, []).append(c)
            if by_offset:
                out[(idx, key)] = tuple((k, tuple(cs)) for k, cs in sorted(by_offset.items()))
    return out


def covered(vt: str, cover: tuple[tuple[int, tuple[str, ...]], ...], s: int) -> bool:
    """Whether one of the longer terms of ``cover`` (``covers``) holds the occurrence at ``s``."""
    for k, longer in cover:
        if k <= s and vt.startswith(longer, s - k):
            return True
    return False


_START = itemgetter(0)
_START_LONGEST = itemgetter(0, 7)  # start, then start - end: the longest first
_LONGEST_EARLIEST = itemgetter(7, 0)


def _keep_longest(cluster: list[list[Any]]) -> None:
    """The longest row of an overlapping cluster stays counted (the first on a tie)."""
    if len(cluster) > 1:
        best = min(cluster, key=_LONGEST_EARLIEST)
        for r in cluster:
            if r is not best:
                r[5], r[6] = "subsumed", f"subsumed_by:{best[8]}"


def resolve_overlaps(rows: list[Any], *, vetoed: bool = True) -> None:
    """One mention, one hit: counted rows (see ``Matcher._verdicts``) of one theme that
    overlap or touch form a cluster, and only its longest member (the earliest on a tie)
    stays counted; the others become ``subsumed`` (in place).

    Greedy longest-first selection is not enough: in 为基层减负赋能 it would keep 为基层减负
    and then 赋能 as well, because 赋能 overlaps only the discarded 减负赋能. Adjacent
    pieces (12345 + 政务服务便民热线) are one mention too. ``vetoed=False``: the caller
    knows no row is vetoed (``transform`` keeps none).
    """
    by_theme: dict[str, list[list[Any]]] = {}
    for r in rows:
        if r[5] == "counted":
            if r[2] in by_theme:
                by_theme[r[2]].append(r)
            else:
                by_theme[r[2]] = [r]
    for group in by_theme.values():
        if len(group) == 1:
            continue
        group.sort(key=_START_LONGEST)
        cluster = [group[0]]
        end = group[0][1]
        for r in group[1:]:
            if r[0] <= end:  # overlaps or touches the current cluster
                cluster.append(r)
                if r[1] > end:
                    end = r[1]
            else:
                _keep_longest(cluster)
                cluster = [r]
                end = r[1]
        _keep_longest(cluster)
    # A vetoed short match inside a counted longer one (bare 共建 inside 共建共治共享) is
    # covered, not refused: say so, so kwic does not report a veto that changed nothing.
    # The counted rows of a theme no longer overlap, so the one that starts last at or
    # before a vetoed row is the only one that can cover it (bisect, not a scan).
    if not vetoed or not any(r[5] == "vetoed" for r in rows):
        return
    counted: dict[str, tuple[list[int], list[Any]]] = {}
    for r in sorted((r for r in rows if r[5] == "counted"), key=_START):
        starts, kept = counted.setdefault(r[2], ([], []))
        starts.append(r[0])
        kept.append(r)
    for r in rows:
        if r[5] == "vetoed" and r[2] in counted:
            starts, kept = counted[r[2]]
            k = bisect.bisect_right(starts, r[0]) - 1
            if k >= 0 and r[1] <= kept[k][1]:
                r[5], r[6] = "subsumed", f"subsumed_by:{kept[k][8]}"
