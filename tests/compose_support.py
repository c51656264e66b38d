"""Shared setup for the compose, export and template tests: a small shop from tests/data.

Customers (ids in import order): 1 Jürgen (DE, 3 orders), 2 Giulia (IT), 3 Sanne (NL),
4 Ola (NO), 5 Emily 'Hughes [/red]' (GB), 6 no name (AT, no consent), 7 formula names (US),
8 CR/LF + U+2028 in names (GB), 9 no email, 10 Marie (FR, language fr), 11 bad email,
12 consent unknown, 13 ESC + markup in names (CH), 14 <script> and & in names (NO),
15 never ordered.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from core.compose import Composer, Draft, FailedDraft
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.paths import shipped_dir
from core.store import Store, open_store

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 5)
CUSTOMERS = DATA / "compose_customers.csv"
ORDERS = DATA / "compose_orders.csv"
COLLECTOR = DATA / "compose_orders_collector.csv"
"""Ola (4) buys every product he lacked, in February: nothing is left to recommend to him."""


def build_shop(path: str | Path = ":memory:", *, settings: dict[str, str] | None = None) -> Store:
    """The fixture shop with the demo shop's (complete) settings unless `settings` is given."""
    store = open_store(path, create=True)
    for file, kind in ((CUSTOMERS, "customers"), (ORDERS, "orders")):
        result = import_file(store, file, kind)
        assert result.rows_rejected == 0, result.errors
    chosen = DEMO_SETTINGS if settings is None else settings
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", chosen.items())
    return store


def add_collector(store: Store) -> None:
    """Import COLLECTOR: customer 4 has then bought every bestseller."""
    result = import_file(store, COLLECTOR, "orders")
    assert result.rows_rejected == 0, result.errors


def traced(store: Store) -> list[str]:
    """Every SQL statement `store` runs from now on, with its parameters filled in."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    return statements


def composer_for(store: Store, templates: Path) -> Composer:
    """A composer that never reads the real user's template folder."""
    return Composer(store, templates, today=TODAY)


def write_template(
    root: Path, name: str, files: dict[str, str], *, kind: str = "marketing", extra: str = ""
) -> Path:
    """An owner's template folder: template.toml plus `{"en.txt": "...", ...}`."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "template.toml").write_text(f'kind = "{kind}"\n{extra}', encoding="utf-8")
    for file_name, text in files.items():
        (folder / file_name).write_text(text, encoding="utf-8")
    return folder


FOOTER_EN = '\n{% include "_shared/footer.en.txt" %}\n'


def write_picks(root: Path) -> str:
    """An owner's template that needs recommendations and nothing else (transactional, no
    order dates): everyone with a usable address is in its list. Returns its name."""
    text = "{{ recommendations|length }} picks\n" + FOOTER_EN
    write_template(
        root,
        "picks",
        {"en.subject.txt": "Picks", "en.txt": text},
        kind="transactional",
        extra='needs = ["recommendations"]\n',
    )
    return "picks"


def decided_by_drafting(composer: Composer, ids: list[int], template: str) -> list[str | None]:
    """Each customer's reason (None: a draft) as `drafts()` decides it, draft by draft."""
    items = list(composer.drafts(ids, template))
    assert not [item for item in items if isinstance(item, FailedDraft)]
    return [None if isinstance(item, Draft) else item.reason for item in items]


def without_audience(root: Path, *names: str) -> None:
    """Owner's copies of shipped templates without their recency rules (template.toml's
    min/max_days_since_last_order), as an owner may make them: for tests of export mechanics
    that want every customer of the fixture shop with an order in the list."""
    for name in names:
        folder = root / name
        shutil.copytree(shipped_dir("templates") / name, folder, dirs_exist_ok=True)
        toml = folder / "template.toml"
        rules = ("min_days_since_last_order", "max_days_since_last_order")
        lines = toml.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith(rules)]
        toml.write_text("\n".join(kept) + "\n", encoding="utf-8")
