"""Make docs/screenshot-dashboard.svg, the README's picture: the dashboard on the demo shop.

Run from a checkout: `python docs/make_screenshot.py`. The demo is loaded as of a fixed day,
so the picture changes only when the app or the demo does.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.demo import create_demo  # noqa: E402
from tui.app import RetainApp  # noqa: E402
from tui.preferences import CONFIG_DIR_ENV  # noqa: E402

LOADED_ON = date(2026, 12, 1)
SIZE = (120, 40)
TARGET = ROOT / "docs" / "screenshot-dashboard.svg"


async def shoot(db: Path) -> str:
    app = RetainApp(db, theme="textual-dark", demo_loaded_on=LOADED_ON)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot(title="retain-tui")


def main() -> None:
    with TemporaryDirectory() as folder:
        os.environ[CONFIG_DIR_ENV] = folder  # not the developer's remembered period or theme
        db = Path(folder) / "demo.db"
        create_demo(db, today=LOADED_ON)
        TARGET.write_text(asyncio.run(shoot(db)), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
