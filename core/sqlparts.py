"""SQL fragments that carry their own parameters, so values never get pasted into SQL text.

Filters, scores and segment conditions are built from pieces; each piece keeps the `?`
placeholders and their values together, and joining pieces joins both in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sql:
    """A SQL text with `?` placeholders and the values that fill them, in order."""

    text: str
    params: tuple[object, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)

    def wrap(self, template: str) -> Sql:
        """`template` with `{}` standing for this fragment: Sql('x').wrap('coalesce({}, 0)')."""
        before, marker, after = template.partition("{}")
        if not marker:
            raise ValueError(f"template without {{}}: {template!r}")
        return Sql(before + self.text + after, self.params)


def join(separator: str, parts: Iterable[Sql]) -> Sql:
    texts: list[str] = []
    params: list[object] = []
    for part in parts:
        texts.append(part.text)
        params.extend(part.params)
    return Sql(separator.join(texts), tuple(params))


def placeholders(values: Iterable[object]) -> Sql:
    """'?, ?, ?' for an IN list, with the values as parameters."""
    items = tuple(values)
    return Sql(", ".join("?" * len(items)), items)


TRUE = Sql("1")
FALSE = Sql("0")
