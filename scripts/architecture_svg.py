"""Draw docs/architecture.svg: the layers contract of pyproject.toml and the data flow.

    .venv/bin/python scripts/architecture_svg.py            # rewrite docs/architecture.svg
    .venv/bin/python scripts/architecture_svg.py --check    # exit 1 when the picture is stale

The layers are read from the import-linter contract CI runs, so the picture cannot drift
from the rule it shows (tests/test_architecture.py runs --check). The data-flow panel is
drawn by hand below: it changes only when a stage is added.
"""

from __future__ import annotations

import sys
import tomllib
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "architecture.svg"

# What each layer is for, in the picture's words (keyed by the layer's first module).
ROLE = {
    "__main__": "python -m govtext",
    "cli": "Typer commands: parse options, call the library, print",
    "serve": "entry points: HTTP service, the main job, charts",
    "stages": "one adapter per stage of the main job",
    "config": "run settings; the incremental-reuse planner",
    "work": "per-document work a worker process runs",
    "store": "DuckDB store, process pool / Dask, topics, report, ...",
    "compare": "comparison tables, theme rules, vocabulary",
    "segment": "jieba / rjieba segmentation; reading inputs",
    "tokens": "tokens and their codecs, user dictionary, stopwords",
    "documents": "data types and pure helpers",
    "errors": "govtext's error types",
}

# (label, x, y) boxes of the data-flow panel and the arrows between them.
FLOW = [
    ("files", 0),
    ("ingest -> Document", 1),
    ("segment -> Tokens", 2),
    ("themes: rules -> ThemeHit", 3),
    ("topics -> doc-topic shares", 3),
    ("compare -> tables", 4),
    ("report -> html md csv xlsx", 5),
]


def layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    return [[m.strip() for m in layer.split("|")] for layer in contract["layers"]]


def _text(x: float, y: float, s: str, size: int = 13, weight: str = "normal", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" '
        f'text-anchor="{anchor}">{escape(s)}</text>'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" marker-end="url(#head)"/>'


def draw() -> str:
    rows = layers()
    box_h, gap, top, left, width = 40, 8, 60, 20, 580
    height = top + len(rows) * (box_h + gap) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="{height}" '
        f'viewBox="0 0 1040 {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        '<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
        _text(left, 28, "Layers (pyproject.toml, checked by import-linter in CI)", 15, "bold"),
        _text(
            left,
            46,
            "a module imports only from layers below its own; modules joined by | not from each other",
            11,
        ),
    ]
    for i, modules in enumerate(rows):
        y = top + i * (box_h + gap)
        shade = "#e8f0fb" if i % 2 == 0 else "#f5f8fd"
        parts.append(
            f'<rect x="{left}" y="{y}" width="{width}" height="{box_h}" rx="5" fill="{shade}" stroke="#7a96c2"/>'
        )
        parts.append(_text(left + 10, y + 17, " | ".join(modules), 12, "bold"))
        parts.append(_text(left + 10, y + 33, ROLE.get(modules[0], ""), 11))
    parts.append('<g stroke="#444" stroke-width="1.5">')
    parts.append(
        _arrow(left + width + 14, top + 10, left + width + 14, top + len(rows) * (box_h + gap) - gap - 10)
    )
    parts.append("</g>")
    parts.append(_text(left + width + 22, top + len(rows) * (box_h + gap) / 2, "imports", 11))

    fx, fy, fw, fh = 700, 60, 320, 34
    parts.append(_text(fx, 28, "Data flow (one direction)", 15, "bold"))
    parts.append(_text(fx, 46, "every hit keeps its document id, span and sentence", 11))
    positions: dict[str, tuple[float, float]] = {}
    for label, level in FLOW:
        twin = label.startswith("topics")
        x = fx + (fw / 2 + 6 if twin else 0)
        w = fw / 2 - 6 if level == 3 else fw
        y = fy + level * (fh + 26)
        positions[label] = (x + w / 2, y)
        parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{fh}" rx="5" fill="#fdf3e3" stroke="#c9a15b"/>'
        )
        parts.append(_text(x + w / 2, y + 22, label, 11 if level == 3 else 13, anchor="middle"))
    parts.append('<g stroke="#444" stroke-width="1.5">')
    order = [label for label, _ in FLOW]
    for a, b in [(0, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (5, 6)]:
        (xa, ya), (xb, yb) = positions[order[a]], positions[order[b]]
        parts.append(_arrow(xa, ya + fh, xb, yb - 2))
    parts.append("</g>")
    sy = fy + 6 * (fh + 26) + 10
    parts.append(
        f'<rect x="{fx}" y="{sy}" width="{fw}" height="{fh + 16}" rx="5" fill="#eef7ee" stroke="#6aa56a"/>'
    )
    parts.append(_text(fx + fw / 2, sy + 20, "store (DuckDB): documents, tokens, hits,", 11, anchor="middle"))
    parts.append(
        _text(fx + fw / 2, sy + 36, "topic models, runs; the planner re-uses them", 11, anchor="middle")
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    svg = draw()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != svg:
            print(f"{OUT} is stale: run scripts/architecture_svg.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(svg, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
