"""Finding a font that has Chinese glyphs, for figures (matplotlib) and the HTML font stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govtext.errors import ConfigError, setting

# Families tried in this order; the first one installed that has the test glyphs wins.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)
# Name fragments for families not listed above but probably CJK.
_HINTS = (
    "cjk",
    "wenquanyi",
    "wqy",
    "source han",
    "ar pl",
    "hei",
    "song",
    "kai",
    "ming",
    "fang",
    "yahei",
    " sc",
    " cn",
)
TEST_GLYPHS = "治理自德"

INSTALL_HINT = (
    "install one, e.g. `apt-get install fonts-noto-cjk` or `fonts-wqy-microhei`, "
    f"or set {setting('font')} to a font file"
)


@dataclass(frozen=True)
class FontChoice:
    """The CJK font figures use: its family name and file."""

    family: str
    path: str


def _has_glyphs(path: str, text: str = TEST_GLYPHS) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in text)


def find_cjk_font(name: str | None = None) -> FontChoice | None:
    """A font with Chinese glyphs: the one named (family or file path), else the first found.

    Returns None when the system has none (figures then keep text as text in SVG and the
    report says so). A ``name`` that is neither an installed family nor a font file, or
    lacks Chinese glyphs, is an error naming the fix.
    """
    from matplotlib import font_manager

    if name:
        p = Path(name).expanduser()
        if p.is_file():
            font_manager.fontManager.addfont(str(p))
            family = font_manager.FontProperties(fname=str(p)).get_name()
            if not _has_glyphs(str(p)):
                raise ConfigError(
                    f"font file {p} has no Chinese glyphs (tested {TEST_GLYPHS!r}); {INSTALL_HINT}"
                )
            return FontChoice(family, str(p))
        for entry in font_manager.fontManager.ttflist:
            if entry.name.lower() == name.lower():
                if not _has_glyphs(entry.fname):
                    raise ConfigError(
                        f"font {name!r} has no Chinese glyphs (tested {TEST_GLYPHS!r}); {INSTALL_HINT}"
                    )
                return FontChoice(entry.name, entry.fname)
        found = ", ".join(sorted({c.family for c in _candidates()})) or "none"
        raise ConfigError(f"font {name!r} is not installed and is not a font file; CJK fonts found: {found}")
    cands = _candidates()
    if not cands and _add_fontconfig_fonts():
        # matplotlib's cached font list (~/.cache/matplotlib) predates a font installed
        # since (apt-get install fonts-wqy-microhei): fontconfig knows it, so add it.
        cands = _candidates()
    return cands[0] if cands else None


def _add_fontconfig_fonts() -> int:
    """Add the fonts fontconfig lists for Chinese to matplotlib's list; how many were new."""
    import shutil
    import subprocess

    from matplotlib import font_manager

    exe = shutil.which("fc-list")
    if exe is None:
        return 0
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "--format", "%{file}\n"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    added = 0
    for path in sorted(set(out.split())):
        if path not in known and Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
                added += 1
            except (OSError, RuntimeError, ValueError):
                continue
    return added


def _candidates() -> list[FontChoice]:
    from matplotlib import font_manager

    by_name: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, []).append(entry.fname)
    ranked = [f for f in CJK_FAMILIES if f in by_name]
    ranked += sorted(n for n in by_name if n not in ranked and any(h in n.lower() for h in _HINTS))
    out = []
    for family in ranked:
        for path in sorted(by_name[family]):
            if _has_glyphs(path):
                out.append(FontChoice(family, path))
                break
    return out
