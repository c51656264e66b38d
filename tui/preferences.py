"""The owner's preferences, remembered across launches: theme, dashboard period and window.

A small TOML file in the platform's config folder (`platformdirs.user_config_dir`), or in
`$RETAIN_CONFIG_DIR`; docs/preferences.md lists the keys. The app reads it when it starts and
writes it when the owner changes one of them. A file that does not parse, or a value that is
not allowed, is one notice naming the file, the key and the allowed values: the app opens
with the defaults for those keys, never a traceback. Writing is atomic (a temporary file
beside it, then `os.replace`), so a crash never leaves half a file.

The theme's name is checked by the app, against the themes it has (`RetainApp`).
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from core.metrics import PERIOD_KINDS
from core.paths import APP_NAME
from tui.dashboard_figures import WINDOWS

CONFIG_DIR_ENV = "RETAIN_CONFIG_DIR"
FILE_NAME = "preferences.toml"
KEYS = ("theme", "dashboard.period", "dashboard.window_days")
HEADER = "# retain-tui preferences, written by the app (keys: docs/preferences.md)\n"


@dataclass(frozen=True)
class Preferences:
    """What the owner chose; None means the app's default."""

    theme: str | None = None
    period: str | None = None
    window_days: int | None = None

    def but(self, **changes: object) -> Preferences:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoadedPreferences:
    preferences: Preferences
    problems: list[str]
    """One line per problem, naming the file and the key (and the allowed values)."""
    rewritable: bool = True
    """False when the file could not be read or parsed: the owner's text is not replaced."""


def preferences_path() -> Path:
    """`$RETAIN_CONFIG_DIR/preferences.toml`, else the platform's config folder's."""
    folder = os.environ.get(CONFIG_DIR_ENV)
    if folder:
        return Path(folder).expanduser() / FILE_NAME
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / FILE_NAME


def load_preferences(path: Path) -> LoadedPreferences:
    """The preferences in `path` (none if it does not exist) and what was wrong in it, one
    line per problem naming the file and the key; a wrong value is left at its default."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no file there (yet)
        return LoadedPreferences(Preferences(), [])
    except (OSError, UnicodeDecodeError) as exc:
        said = f"{path}: cannot be read ({_reason(exc)}); using the defaults"
        return LoadedPreferences(Preferences(), [said], rewritable=False)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        said = f"{path}: not valid TOML ({exc}); using the defaults until it is fixed or deleted"
        return LoadedPreferences(Preferences(), [said], rewritable=False)
    problems: list[str] = []
    dashboard = data.pop("dashboard", {})
    if not isinstance(dashboard, dict):
        problems.append(f"{path}: dashboard must be a table ([dashboard]); using the defaults")
        dashboard = {}
    theme = _pick(path, "theme", data.pop("theme", None), str, None, problems)
    period = _pick(
        path, "dashboard.period", dashboard.pop("period", None), str, PERIOD_KINDS, problems
    )
    window = _pick(
        path, "dashboard.window_days", dashboard.pop("window_days", None), int, WINDOWS, problems
    )
    unknown = [*data, *(f"dashboard.{key}" for key in dashboard)]
    if unknown:
        problems.append(
            f"{path}: unknown key {', '.join(unknown)} (ignored); keys: {', '.join(KEYS)}"
        )
    return LoadedPreferences(Preferences(theme, period, window), problems)  # type: ignore[arg-type]


def _pick(
    path: Path,
    key: str,
    value: object,
    kind: type,
    allowed: tuple[object, ...] | None,
    problems: list[str],
) -> object:
    """`value` if it is of `kind` and allowed, else None with the problem said."""
    if value is None:
        return None
    fits = isinstance(value, kind) and not isinstance(value, bool)
    if fits and (allowed is None or value in allowed) and value != "":
        return value
    shown = json.dumps(value, default=str, ensure_ascii=False)  # as TOML writes it: true, "90"
    wanted = ", ".join(map(str, allowed)) if allowed else 'a theme\'s name in quotes, e.g. "nord"'
    problems.append(f"{path}: {key} = {shown} is not allowed; allowed: {wanted}")
    return None


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write `preferences` to `path` atomically (raises OSError if the folder is not
    writable); keys left at their default are not written."""
    lines = [HEADER]
    if preferences.theme is not None:
        lines.append(f"theme = {json.dumps(preferences.theme)}\n")
    table = []
    if preferences.period is not None:
        table.append(f"period = {json.dumps(preferences.period)}\n")
    if preferences.window_days is not None:
        table.append(f"window_days = {int(preferences.window_days)}\n")
    if table:
        lines += ["\n[dashboard]\n", *table]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".preferences-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.writelines(lines)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
