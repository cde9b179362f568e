"""Theme hits, cached per (document key, theme hash): a dictionary change misses
exactly the sets of the themes it changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govtext.store.connection import Connection, columns, execute
from govtext.themes.scores import HIT_FIELDS

# The fields of a ThemeHit after doc_id, in the order hits_frame uses.
_HIT_FIELDS = HIT_FIELDS[1:]


class HitTables(Connection):
    """The store's methods on ``theme_hits`` and ``hit_sets``."""

    def get_hits(
        self, keys: Iterable[str], theme_hashes: Mapping[str, str]
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, frozenset[str]]]:
        """Cached hits per key, and the themes each key still lacks.

        Hits are kept per (key, theme hash) (``ThemeDictionary.theme_hashes``): the
        first dict has, for every key, the hits (dicts of the ThemeHit fields, doc_id
        apart) of the themes whose sets are stored, in the matcher's order; the second
        names, for the keys that lack some, the themes still to match.
        """
        key_list = list(dict.fromkeys(keys))
        if not key_list:
            return {}, {}
        theme_of = {h: t for t, h in theme_hashes.items()}
        wanted = columns(["hits_key"], [(k,) for k in key_list])
        hashes = columns(["dictionary_hash"], [(h,) for h in theme_of])
        all_themes = frozenset(theme_hashes)
        missing: dict[str, frozenset[str]] = {}
        with (
            self._registered("govtext_wanted_hits", wanted),
            self._registered("govtext_theme_hashes", hashes),
        ):
            # How many of the themes each key has: all (the usual re-run), none (a new
            # text) or some (a dictionary change); only the last needs the themes named.
            present = execute(
                self.con,
                "SELECT w.hits_key, count(s.hits_key) FROM govtext_wanted_hits w LEFT JOIN "
                "(SELECT hits_key FROM hit_sets JOIN govtext_theme_hashes USING (dictionary_hash)) s "
                "USING (hits_key) GROUP BY 1",
            )
            partial = [k for k, n in present if 0 < n < len(all_themes)]
            missing.update((k, all_themes) for k, n in present if n == 0)
            if partial:
                frame = columns(["hits_key"], [(k,) for k in partial])
                with self._registered("govtext_partial_hits", frame):
                    lacking = execute(
                        self.con,
                        "SELECT p.hits_key, t.dictionary_hash FROM govtext_partial_hits p "
                        "CROSS JOIN govtext_theme_hashes t ANTI JOIN hit_sets s "
                        "ON s.hits_key = p.hits_key AND s.dictionary_hash = t.dictionary_hash",
                    )
                by_key: dict[str, set[str]] = {}
                for k, h in lacking:
                    by_key.setdefault(k, set()).add(theme_of[h])
                missing.update((k, frozenset(v)) for k, v in by_key.items())
            rows = self.con.execute(
                "SELECT h.hits_key, "
                + ", ".join(f'h."{c}"' for c in _HIT_FIELDS)
                + " FROM theme_hits h JOIN govtext_wanted_hits w USING (hits_key) "
                "JOIN govtext_theme_hashes USING (dictionary_hash)"
            ).fetchall()
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in key_list}
        for row in rows:
            out[row[0]].append(dict(zip(_HIT_FIELDS, row[1:], strict=True)))
        for found in out.values():
            # the matcher's order: text order, longer first, then theme and rule
            found.sort(key=lambda h: (h["start"], h["start"] - h["end"], h["theme"], h["rule"]))
        return out, missing

    def put_hits(self, items: Iterable[tuple[str, Sequence[Any]]], theme_hashes: Mapping[str, str]) -> int:
        """Cache the hits (ThemeHit-like objects) of each key for the themes of
        ``theme_hashes`` (those it was matched for: a theme without hits gets an empty
        set), in one transaction."""

        sets: list[tuple[str, str, int]] = []
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for key, hits in items:
            if key in seen:
                continue
            seen.add(key)
            by_theme: dict[str, list[Any]] = {t: [] for t in theme_hashes}
            for h in hits:
                by_theme[h.theme].append(h)
            for theme, found in by_theme.items():
                th = theme_hashes[theme]
                sets.append((key, th, len(found)))
                for i, h in enumerate(found):
                    rows.append((key, th, i, *(getattr(h, c) for c in _HIT_FIELDS)))
        if not sets:
            return 0
        set_frame = columns(["hits_key", "dictionary_hash", "n_hits"], sets)
        hit_names = ["hits_key", "dictionary_hash", "ord", *_HIT_FIELDS]
        hit_frame = columns(hit_names, rows)
        cols = ", ".join(f'"{c}"' for c in hit_names)
        with self._registered("govtext_new_sets", set_frame), self._registered("govtext_new_hits", hit_frame):
            with self.transaction():
                execute(
                    self.con,
                    "DELETE FROM theme_hits USING govtext_new_sets s "
                    "WHERE theme_hits.hits_key = s.hits_key AND theme_hits.dictionary_hash = s.dictionary_hash",
                )
                execute(self.con, f"INSERT INTO theme_hits ({cols}) SELECT {cols} FROM govtext_new_hits")
                execute(
                    self.con,
                    "INSERT OR REPLACE INTO hit_sets (hits_key, dictionary_hash, n_hits) "
                    "SELECT hits_key, dictionary_hash, n_hits FROM govtext_new_sets",
                )
        return len(seen)
