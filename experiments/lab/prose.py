"""The report's prose: one template per section (``experiments/lab/templates/*.md``, package
data), filled with the run's numbers.

A template is Markdown with ``@{field}`` fields (``string.Template`` with ``@`` as its
delimiter: the report's LaTeX is full of ``$`` and braces). ``fill`` refuses a template whose
field is not given, so a section never prints a hole; what varies with the numbers (a bullet
that holds only in some runs) is built in code and given as a field."""

from __future__ import annotations

import string
from functools import cache
from importlib.resources import files

__all__ = ["fill", "template_names"]


class SectionTemplate(string.Template):
    delimiter = "@"


@cache
def _template(name: str) -> SectionTemplate:
    return SectionTemplate((files(__package__) / "templates" / f"{name}.md").read_text("utf-8"))


def template_names() -> list[str]:
    """Every template shipped with the lab."""
    folder = files(__package__) / "templates"
    return sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".md"))


def fill(template: str, /, **fields: object) -> str:
    """The template named ``template`` with every field filled (``KeyError`` names a missing
    one)."""
    return _template(template).substitute({k: str(v) for k, v in fields.items()})
