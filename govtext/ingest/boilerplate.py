"""Web page boilerplate: placeholder until the rules land."""

from __future__ import annotations


def strip_boilerplate(paras: list[str], *, title: str = "") -> tuple[list[str], dict[str, str]]:
    return paras, {}
