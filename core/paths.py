"""Where the shop database and the shipped resources live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "retain-tui"
DB_ENV = "RETAIN_DB"
_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The user's data folder for retain-tui (not created here)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins over `$RETAIN_DB`, which wins over the platform's data folder."""
    return chosen_db_path(explicit) or default_db_path()


def chosen_db_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The database the owner named (`--db PATH`, else `$RETAIN_DB`), or None."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return None


def default_db_path() -> Path:
    """The owner's real shop: what `import` fills and the app opens once it exists."""
    return data_dir() / "shop.db"


def demo_db_path() -> Path:
    """The demo shop, beside the real one and never mixed into it."""
    return data_dir() / "demo.db"


def shipped_dir(name: str) -> Path:
    """A top-level resource folder (`templates`, `sample_data`) from a wheel or a checkout.

    The wheel maps them under `core/_shipped/`; a source checkout has them beside `core/`.
    """
    for candidate in (_PACKAGE_DIR / "_shipped" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"retain-tui's {name!r} folder is missing from this installation")


def drafts_dir() -> Path:
    """Where `flows run` writes its drafts unless `--out` says otherwise (not created here)."""
    return data_dir() / "drafts"
