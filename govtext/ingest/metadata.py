"""Metadata from everywhere a scholar keeps it: fields, front matter, sidecars, paths.

Every source ends up as the same ``dict[str, str]``; :func:`split_fields` then sends the
core fields (title, authors, source, date) to the Document and the rest to ``meta``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Column / key names that mean a core field (lower-cased; Chinese names as scrapers write them).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "标题", "题目", "篇名", "文章标题"),
    "authors": ("author", "authors", "byline", "writer", "作者", "署名"),
    "source": ("source", "publisher", "outlet", "来源", "出处", "媒体"),
    "date": (
        "date",
        "publish_date",
        "published",
        "pub_date",
        "publication_date",
        "time",
        "datetime",
        "created",
        "日期",
        "发布日期",
        "发布时间",
        "时间",
    ),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}

_AUTHOR_SPLIT = re.compile(r"\s*[、,，;；/|]\s*")
_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_DATE = re.compile(r"(?P<y>\d{4})\s*(?:[-/.年]\s*(?P<m>\d{1,2})\s*(?:[-/.月]\s*(?P<d>\d{1,2})\s*日?)?)?")
_CN_DATE = re.compile(
    r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?"
)


def _cn_number(s: str) -> int:
    """二十七 → 27, 十二 → 12, 九 → 9 (the forms dates use)."""
    if "十" in s:
        tens, _, units = s.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    return _CN_DIGITS[s]


def parse_date(value: object) -> str:
    """ISO date (YYYY-MM-DD, YYYY-MM or YYYY) from the forms found in the wild, or ''.

    >>> parse_date("2031年02月10日 07时41分"), parse_date("二〇三一年十一月九日"), parse_date("2026-2")
    ('2031-02-10', '2031-11-09', '2026-02')
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    s = str(value or "").strip()
    if not s:
        return ""
    m = _DATE.search(s)
    if m and 1000 <= int(m["y"]) <= 2999:
        y, mo, d = int(m["y"]), m["m"], m["d"]
        if mo and 1 <= int(mo) <= 12:
            if d and 1 <= int(d) <= 31:
                return f"{y:04d}-{int(mo):02d}-{int(d):02d}"
            return f"{y:04d}-{int(mo):02d}"
        return f"{y:04d}"
    cm = _CN_DATE.search(s)
    if cm:
        y = int("".join(str(_CN_DIGITS[c]) for c in cm[1]))
        mo = _cn_number(cm[2])
        return f"{y:04d}-{mo:02d}-{_cn_number(cm[3]):02d}" if cm[3] else f"{y:04d}-{mo:02d}"
    return ""


def split_authors(value: object) -> tuple[str, ...]:
    """Authors from a string ("李琰、李志强") or a list; empty parts dropped.

    >>> split_authors("李琰、李志强")
    ('李琰', '李志强')
    """
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else _AUTHOR_SPLIT.split(str(value))
    return tuple(s for s in (str(i).strip() for i in items) if s)


def as_text(value: Any) -> str:
    """A metadata value as a string: lists joined with 、, dates ISO, None empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(as_text(v) for v in value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def core_field(key: str) -> str | None:
    """The core field a metadata key names, if any (``publish_date`` → ``date``)."""
    return _ALIAS_TO_FIELD.get(key.strip().lower())


def split_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Separate core fields (first alias wins) from the rest (kept under their own names)."""
    core: dict[str, Any] = {}
    meta: dict[str, str] = {}
    for key, value in fields.items():
        name = core_field(key)
        if name == "authors":
            if "authors" not in core and split_authors(value):
                core["authors"] = split_authors(value)
                continue
        elif name == "date":
            iso = parse_date(value)
            if "date" not in core and iso:
                core["date"] = iso
                if key.strip().lower() != "date":
                    meta[key] = as_text(value)
                continue
        elif name and name not in core and as_text(value):
            core[name] = as_text(value)
            continue
        text = as_text(value)
        if text:
            meta[str(key)] = text
    return core, meta


# --- front matter -------------------------------------------------------------------------

_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


# Front matter is a few fields (title, author, date); more than this is not metadata.
MAX_FRONT_MATTER_CHARS = 65_536


def _yaml_loader() -> Any:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """SafeLoader that refuses aliases: nine levels of nine aliases (an "alias bomb",
        700 bytes) expand to billions of nodes; no real front matter needs them."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*name) are not accepted in front matter", event.start_mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def read_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (``---`` block at the very top) and the text after it.

    A block that is not a YAML mapping is left in the text, since it is then most likely a
    horizontal rule rather than metadata. A block that cannot be read (invalid YAML,
    aliases, nesting or size past the limits) raises ``ValueError`` saying why; the text
    after it is still the file's body (``split_front_matter``).
    """
    m = _FRONT.match(text)
    if not m:
        return {}, text
    import yaml

    block = m.group(1)
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise ValueError(
            f"front matter is {len(block):,} characters, over the {MAX_FRONT_MATTER_CHARS:,}-character limit"
        )
    try:
        data = yaml.load(block, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""  # the block starts on line 2
        raise ValueError(f"front matter is not valid YAML{where}: {problem}") from exc
    except RecursionError:
        raise ValueError("front matter is nested too deeply to be metadata") from None
    if not isinstance(data, dict):
        return {}, text
    return {str(k): v for k, v in data.items()}, text[m.end() :]


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str]:
    """``read_front_matter`` that never loses the body: (fields, body, problem). A block
    that cannot be read gives no fields, the text after it, and the reason."""
    try:
        fields, body = read_front_matter(text)
    except ValueError as exc:
        m = _FRONT.match(text)
        return {}, text[m.end() :] if m else text, str(exc)
    return fields, body, ""


# --- path patterns ------------------------------------------------------------------------


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """'{province}/{year}.txt' → a regex matching the end of a relative path.

    ``*`` matches within one path part; ``{name}`` captures one part (or a piece of one).
    """
    out = []
    for token in re.split(r"(\{[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*\}|\*)", pattern.replace("\\", "/")):
        if token == "*":
            out.append(r"[^/]*")
        elif token.startswith("{") and token.endswith("}"):
            out.append(rf"(?P<{token[1:-1]}>[^/]+?)")
        else:
            out.append(re.escape(token))
    try:
        return re.compile(r"(?:^|/)" + "".join(out) + r"$")
    except re.error as exc:
        raise ValueError(
            f"path pattern {pattern!r} is not usable: {exc}; write it like '{{province}}/{{year}}.txt'"
        ) from exc


def fields_from_path(regex: re.Pattern[str], relpath: str) -> dict[str, str]:
    m = regex.search(relpath.replace("\\", "/"))
    return {k: v for k, v in m.groupdict().items() if v} if m else {}


# --- sidecar ------------------------------------------------------------------------------

SIDECAR_NAME = "metadata.csv"
_FILE_KEYS = ("file", "filename", "file_name", "path", "name", "文件", "文件名")


def read_sidecar(path: Path, text: str) -> dict[str, dict[str, str]]:
    """metadata.csv: one row per file (a ``file`` column naming it), other columns are fields."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        return {}
    columns = list(rows[0].keys())
    key = next((c for c in columns if c and c.strip().lower() in _FILE_KEYS), None)
    if key is None:
        raise ValueError(
            f"{path}: no file-name column; the first row must name one of {', '.join(_FILE_KEYS)}"
            f" (found {', '.join(map(str, columns))})"
        )
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        name = (row.get(key) or "").strip().replace("\\", "/")
        if name:
            out[name] = {k: v for k, v in row.items() if k and k != key and v not in (None, "")}
    return out
