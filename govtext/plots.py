"""Figures for notebooks: matplotlib with a CJK font set, the report's look.

``use_cjk_font()`` makes every later matplotlib figure (pandas plots too) draw Chinese
with an installed CJK font, found the way the report finds it; ``plot_density`` draws
theme density per group from ``govtext.tag`` or ``govtext.analyze`` output.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def use_cjk_font(name: str | None = None) -> str | None:
    """Put a CJK font first in matplotlib's sans-serif list; return its family (None and a
    warning naming the fix when the system has none). ``name``: a family or a font file."""
    import matplotlib as mpl

    from govtext.report.fonts import INSTALL_HINT, find_cjk_font

    font = find_cjk_font(name)
    if font is None:
        warnings.warn(f"no font with Chinese glyphs was found; {INSTALL_HINT}", stacklevel=2)
        return None
    current = [f for f in mpl.rcParams["font.sans-serif"] if f != font.family]
    mpl.rcParams["font.sans-serif"] = [font.family, *current]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212
    return font.family


def plot_density(data: Any, by: str | None = None, *, ax: Any = None, top: int | None = None) -> Figure:
    """Theme hits per 10,000 characters as horizontal bars, one group of bars per value of
    ``by`` (or the whole corpus), labelled with the themes' Chinese names.

    ``data`` is what ``govtext.tag`` or ``govtext.analyze`` returns (anything with
    ``scores`` and ``documents`` frames). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from govtext.compare import theme_density

    use_cjk_font()
    documents = data.documents.copy()
    field = by or "_all"
    if by is None:
        documents[field] = "全部"
    scores = data.scores
    themes = getattr(data, "themes", None)
    if themes is None and "name" in scores:
        themes = scores[["theme", "name"]].drop_duplicates("theme")
    table = theme_density(scores, documents, field, themes)
    pivot = table.pivot_table(index="name", columns=field, values="density_per_10k", sort=False, dropna=False)
    if top:
        pivot = pivot.loc[pivot.sum(axis=1).sort_values(ascending=False).index[:top]]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(pivot) + 1.2))
    else:
        fig = ax.figure
    pivot.iloc[::-1].plot.barh(ax=ax, legend=False)
    if by is not None:
        ax.legend(title=by, bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=7)
    ax.set_xlabel("每万字命中次数 (hits per 10,000 characters)")
    ax.set_ylabel("")
    ax.set_title(f"主题密度 · {by}" if by else "主题密度")
    fig.tight_layout()
    return fig


__all__ = ["plot_density", "use_cjk_font"]
