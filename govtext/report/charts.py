"""Figures for the report and for papers: matplotlib, no pyplot (no global figure state).

Each builder returns a ``matplotlib.figure.Figure``; :func:`svg` and :func:`png` render
it. SVG keeps text as text (``svg.fonttype = none``), so a browser draws the Chinese
labels with its own fonts even when this machine has no CJK font; PNG needs the CJK
font found by :mod:`govtext.report.fonts`.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from govtext.report.fonts import FontChoice

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

# Three colours per framework (no framework has more than three themes), colour-blind safe.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FEW_HITS = 5  # framework bars resting on fewer hits than this are drawn faint
FALLBACK_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]


def _rc(font: FontChoice | None, salt: str) -> Any:
    families = ([font.family] if font else []) + [
        f for f in FALLBACK_FAMILIES if not font or f != font.family
    ]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [*families, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        # Deterministic, figure-specific ids so several SVGs inline in one page never clash.
        "svg.hashsalt": salt,
        "font.size": 9,
    }


def import_drawing() -> None:
    """Import the matplotlib modules the figures are drawn with (~0.5 s), ahead of time
    (``govtext run`` does it while it waits for the topic model)."""
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import matplotlib.font_manager  # noqa: F401


def svg(fig: Figure, font: FontChoice | None, name: str) -> str:
    """The figure as SVG text with no metadata (no dates, no external namespaces used).

    The constrained layout done for this draw is then frozen (layout engine "none"): a
    PNG drawn next keeps it instead of laying the figure out again, ~0.6 s a figure on
    ../shared/corpus (issue 20), and shows the same layout as the SVG."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_rc(font, name)):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    fig.set_layout_engine("none")
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text


def inline_svg(svg_text: str) -> str:
    """SVG text fit to sit inside HTML: no XML prolog or doctype, scalable width."""
    text = re.sub(r"^<\?xml[^>]*>\s*", "", svg_text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    return re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r'\1 class="chart"', text, count=1)


def png(fig: Figure, font: FontChoice | None, name: str, dpi: int = 150) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_rc(font, name)):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float, font: FontChoice | None) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    # Text objects take their font when created, so the rc must hold while building too.
    with matplotlib.rc_context(_rc(font, "build")):
        return Figure(figsize=(width, height), layout="constrained")


def heatmap(
    density: pd.DataFrame, themes: pd.DataFrame, groups: list[str], font: FontChoice | None
) -> Figure:
    """Themes (columns) × groups (rows), density per 10k characters, colour scaled per theme."""
    import matplotlib
    import numpy as np

    from govtext.compare import group_text

    names = list(themes["name"])
    # the grouping field is the first column, typed; the rows are matched by its text label
    density = density.assign(row_label=group_text(density.iloc[:, 0]))
    pivot = density.pivot_table(index="row_label", columns="theme", values="density_per_10k", sort=False)
    pivot = pivot.reindex(index=groups, columns=list(themes["theme"]))
    values = pivot.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        colmax = np.nanmax(values, axis=0)
        norm = np.where(colmax > 0, values / colmax, 0.0)
    with matplotlib.rc_context(_rc(font, "heatmap")):
        fig = _figure(1.0 + 0.62 * len(names), 1.2 + 0.28 * len(groups), font)
        ax = fig.add_subplot()
        ax.imshow(norm, cmap="Blues", aspect="auto", vmin=0, vmax=1)
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks(range(len(groups)), groups)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        if len(groups) * len(names) <= 700:
            for i in range(len(groups)):
                for j in range(len(names)):
                    v = values[i, j]
                    if np.isfinite(v) and v > 0:
                        ax.text(
                            j, i, f"{v:.1f}", ha="center", va="center", fontsize=6.5,
                            color="white" if norm[i, j] > 0.55 else "#222222",
                        )  # fmt: skip
        ax.set_title("主题密度（每万字命中数，按主题列着色）", fontsize=10)
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def framework_balance(balance: pd.DataFrame, groups: list[str], font: FontChoice | None) -> Figure:
    """One panel per framework: stacked horizontal bars of each theme's share, per group."""
    import matplotlib

    from govtext.compare import group_text

    balance = balance.assign(row_label=group_text(balance.iloc[:, 0]))
    frameworks = list(dict.fromkeys(balance["framework"]))
    with matplotlib.rc_context(_rc(font, "balance")):
        fig = _figure(3.0 * max(len(frameworks), 1) + 0.8, 1.3 + 0.24 * len(groups), font)
        axes = fig.subplots(1, max(len(frameworks), 1), sharey=True, squeeze=False)[0]
        for ax, fw in zip(axes, frameworks, strict=False):
            sub = balance[balance["framework"] == fw]
            theme_names = list(dict.fromkeys(sub["name"]))
            left = [0.0] * len(groups)
            totals = (
                sub.drop_duplicates("row_label")
                .set_index("row_label")["framework_hits"]
                .reindex(groups)
                .fillna(0)
            )
            # A share of one hit is no balance: bars resting on few hits are drawn faint,
            # and every bar says how many hits it splits (n=) and each part its count.
            alpha = [1.0 if n >= FEW_HITS else 0.35 for n in totals]
            for k, name in enumerate(theme_names):
                rows = sub[sub["name"] == name].set_index("row_label")
                share = rows["share"].reindex(groups).fillna(0.0)
                hits = rows["hits"].reindex(groups).fillna(0).astype(int)
                bars = ax.barh(
                    range(len(groups)),
                    share.to_numpy(),
                    left=left,
                    color=PALETTE[k % len(PALETTE)],
                    label=name,
                )
                for bar, a, h, w in zip(bars, alpha, hits, share.to_numpy(), strict=True):
                    bar.set_alpha(a)
                    if h and w >= 0.12:
                        ax.text(
                            bar.get_x() + w / 2,
                            bar.get_y() + bar.get_height() / 2,
                            str(h),
                            ha="center",
                            va="center",
                            fontsize=6,
                            color="white",
                        )
                left = [a + b for a, b in zip(left, share.to_numpy(), strict=True)]
            for i, n in enumerate(totals):
                ax.text(1.02, i, f"n={int(n)}", va="center", fontsize=6, color="#555555", clip_on=False)
            ax.set_title(str(sub["framework_name"].iloc[0]) if len(sub) else str(fw), fontsize=10, pad=18)
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1], ["0", "50%", "100%"])
            ax.legend(
                loc="lower center",
                bbox_to_anchor=(0.5, 1.0),
                ncol=3,
                fontsize=7,
                frameon=False,
                borderaxespad=0.2,
            )
            for spine in ("top", "right"):
                ax.spines[spine].set_visible(False)
        axes[0].set_yticks(range(len(groups)), groups)
        axes[0].invert_yaxis()  # shared y: inverting once turns all panels, first group on top
        axes[0].set_ylim(len(groups) - 0.5, -0.5)
    return fig


def trend_lines(trend: pd.DataFrame, themes: pd.DataFrame, font: FontChoice | None) -> Figure:
    """One panel per framework: density per 10k characters over time, a line per theme."""
    import matplotlib
    import numpy as np

    frameworks = list(dict.fromkeys(themes["framework"]))
    time = trend.columns[0]  # the time field, under its own name
    times = list(dict.fromkeys(trend[time]))
    try:
        x = np.array([float(t) for t in times])
        numeric = True
    except ValueError:
        x = np.arange(len(times), dtype=float)
        numeric = False
    with matplotlib.rc_context(_rc(font, "trend")):
        n = max(len(frameworks), 1)
        cols = 2 if n > 1 else 1
        rows = (n + cols - 1) // cols
        fig = _figure(9.0, 2.6 * rows + 0.4, font)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True).ravel()
        for ax, fw in zip(axes, frameworks, strict=False):
            fw_themes = themes[themes["framework"] == fw]
            for k, t in enumerate(fw_themes.itertuples(index=False)):
                s = trend[trend["theme"] == t.theme].set_index(time)["density_per_10k"].reindex(times)
                ax.plot(x, s.to_numpy(dtype=float), marker="o", markersize=2.5, linewidth=1.4,
                        color=PALETTE[k % len(PALETTE)], label=str(t.name))  # fmt: skip
            ax.set_title(
                str(fw_themes["framework_name"].iloc[0]) if len(fw_themes) else str(fw), fontsize=10, pad=22
            )
            ax.set_ylabel("每万字", fontsize=8)
            # Above the panel, under its title: inside it would hide the early, flat years.
            ax.legend(fontsize=7, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)
            ax.grid(alpha=0.3, linewidth=0.5)
            for spine in ("top", "right"):
                ax.spines[spine].set_visible(False)
            if numeric:
                from matplotlib.ticker import MultipleLocator

                # Years read best on round numbers: decades over long spans, else 5 or 1.
                span = float(x.max() - x.min()) if len(x) else 0.0
                ax.xaxis.set_major_locator(MultipleLocator(10 if span > 40 else 5 if span > 10 else 1))
            else:
                ax.set_xticks(x, times, rotation=90, fontsize=7)
        for ax in axes[len(frameworks) :]:
            ax.set_visible(False)
    return fig


def similarity(sim: pd.DataFrame, font: FontChoice | None) -> Figure:
    """Cosine similarity between groups as a matrix (``compare.similarity_matrix``)."""
    import matplotlib

    groups = [str(g) for g in sim.index]
    values = sim.to_numpy(dtype=float)
    with matplotlib.rc_context(_rc(font, "similarity")):
        size = min(1.5 + 0.3 * len(groups), 11.0)
        fig = _figure(size + 1.0, size, font)
        ax = fig.add_subplot()
        im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1)
        small = 9 if len(groups) <= 30 else 6
        ax.set_xticks(range(len(groups)), groups, rotation=90, fontsize=small)
        ax.set_yticks(range(len(groups)), groups, fontsize=small)
        fig.colorbar(im, ax=ax, shrink=0.6, label="cosine (TF-IDF)")
        ax.set_title("组间相似度", fontsize=10)
    return fig
