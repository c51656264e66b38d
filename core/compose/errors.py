"""Errors the composer reports to the owner: always with the template file and line."""

from __future__ import annotations


class ComposeError(Exception):
    """Something stops drafting: an unknown template, a missing setting, a bad option."""


class TemplateError(ComposeError):
    """A template cannot be rendered: `thank-you/de.txt, line 4: customer has no field 'fist_name'`.

    `template` is the loader name (`<template>/<file>`), `line` the 1-based line in that file.
    """

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.template = template
        self.line = line

    def __str__(self) -> str:
        where = self.template or ""
        if self.line is not None:
            where = f"{where}, line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        return {"template": self.template, "line": self.line, "message": self.message}


class TemplateBudgetError(TemplateError):
    """A template ran past the time or size budget of one draft (a loop without end): it
    would for every customer, so an export stops at the first one."""
