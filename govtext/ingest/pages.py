"""Multi-article pages: placeholder until the splitter lands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Article:
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


def split_page(text: str) -> list[Article] | None:
    return None
