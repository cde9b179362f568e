"""A readable tree of a theme dictionary (``govtext dict show``)."""

from __future__ import annotations

from govtext.themes.rules import Rule, ThemeDictionary


def _rule_line(rule: Rule, indent: str) -> list[str]:
    what = []
    if rule.terms:
        shown = "、".join(rule.terms[:12]) + (f" …(+{len(rule.terms) - 12})" if len(rule.terms) > 12 else "")
        what.append(shown)
    if rule.regex:
        what.append(f"{len(rule.regex)} regex")
    lines = [f"{indent}· {rule.id} (weight {rule.weight:g}): {'; '.join(what)}"]
    if rule.exclude_overlap:
        lines.append(f"{indent}    not inside: {'、'.join(rule.exclude_overlap)}")
    for c in rule.exclude_near:
        lines.append(
            f"{indent}    not near [{c.id}, {c.scope}{f' ±{c.window}' if c.window else ''}]: {'、'.join(c.terms or c.regex)}"
        )
    for c in rule.require_near:
        lines.append(
            f"{indent}    only near [{c.id}, {c.scope}{f' ±{c.window}' if c.window else ''}]: {'、'.join(c.terms or c.regex)}"
        )
    return lines


def render_tree(d: ThemeDictionary, *, rules: bool = False) -> str:
    """Frameworks → themes (id, names, number of rules and terms), optionally the rules."""
    lines = [f"theme dictionary {d.hash} from {', '.join(str(p) for p in d.source_paths)}"]
    for fw in d.frameworks:
        lines.append(f"{fw.name} ({fw.id}){f' — {fw.name_en}' if fw.name_en else ''}")
        for tid in fw.themes:
            t = d.themes[tid]
            n_terms = sum(len(r.terms) for r in t.rules)
            lines.append(f"  {t.name}  {t.id}  {t.name_en}  [{len(t.rules)} rules, {n_terms} terms]")
            if rules:
                for r in t.rules:
                    lines.extend(_rule_line(r, "    "))
    if d.expressions:
        lines.append("expressions (one match, several themes)")
        for e in d.expressions:
            lines.append(f"  {e.id} → {', '.join(e.themes)}")
            if rules:
                lines.extend(_rule_line(e, "    "))
    return "\n".join(lines)
