"""The app's speed: launch to an interactive dashboard, search keystrokes, paging, memory.

    python bench/bench_tui.py                   # the demo shop and the shared 1M-order shop
    python bench/bench_tui.py --big other.db    # another large shop instead

Targets (issue 5): launch to interactive dashboard <= 1.0 s on the demo shop and <= 2.0 s
on the 1,000,000-order shop; a search keystroke to updated rows <= 150 ms at 350,000
customers; a page of scrolling <= 50 ms; peak memory <= 500 MB at 1,000,000 orders.

Launch and memory are measured on the real command in a pseudo-terminal (`python -m tui`),
until the dashboard's figures are on screen. Keystrokes and paging are measured in-process:
a key event goes to the app and the clock stops when the new rows are in the table.
The shared shop is never written to: the app migrates a private copy (`tui-bench.db`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
from common import DATA, ROOT, private_copy, shop_db

sys.path.insert(0, str(ROOT))

from textual import events
from textual.widgets import Static

from core.demo import load_demo
from core.store import open_store
from tui.app import RetainApp
from tui.preferences import CONFIG_DIR_ENV
from tui.screens.customers import CustomersScreen
from tui.widgets.figure_tile import LOADING

READY = "have ordered"  # the customers tile's caption: the dashboard's figures are in
LAUNCHES = 5
SEARCHES = ("müller", "zoë weber", "ingrid de", "customer12345", "e", "example")


def demo_db() -> Path:
    path = DATA / "tui-demo.db"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with open_store(path, create=True) as store:
            load_demo(store)
    return path


def launch(db: Path) -> tuple[float, int]:
    """Seconds from starting `python -m tui` to the dashboard's figures, and peak RSS in MB
    after also opening the customers, searching and paging."""
    env = {**os.environ, "TERM": "xterm-256color"}
    started = time.perf_counter()
    child = pexpect.spawn(
        sys.executable, ["-m", "tui", "--db", str(db)], cwd=str(ROOT), env=env,
        dimensions=(40, 120), timeout=60, encoding="utf-8", codec_errors="replace",
    )  # fmt: skip
    child.logfile_read = transcript = io.StringIO()
    try:
        return _drive(child, started)
    except pexpect.TIMEOUT:
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", " ", transcript.getvalue())
        sys.exit(f"retain-tui did not show what was expected; last output:\n{text[-1500:]}")


def _drive(child: pexpect.spawn, started: float) -> tuple[float, int]:
    child.expect(READY)
    seconds = time.perf_counter() - started
    child.send("c")
    child.expect("customers · by name")
    child.send("/")
    child.send("mül")
    child.expect("matching")
    child.send("\r")
    for _ in range(30):
        child.send("\x1b[6~")  # page down
    child.expect("customers matching")
    peak_mb = _peak_rss_mb(child.pid)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        sys.exit(f"retain-tui exited with {child.exitstatus}")
    return seconds, peak_mb


def _peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


async def _until(done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not respond")
        await asyncio.sleep(0.0005)
    await asyncio.sleep(0)  # let the refresh that follows run


async def _press(app: RetainApp, key: str, char: str | None, done: Callable[[], bool]) -> float:
    started = time.perf_counter()
    app._driver.send_message(events.Key(key, char))  # as a terminal would deliver it
    await _until(done)
    return time.perf_counter() - started


async def interaction(db: Path) -> dict[str, list[float]]:
    """Search keystrokes and page-downs on the customers screen, in seconds each."""
    app = RetainApp(db, theme="textual-dark")
    timings: dict[str, list[float]] = {"keystroke": [], "page": [], "page_end": []}
    async with app.run_test(size=(120, 40)) as pilot:
        tile = app.screen.query_one("#tile-customers .tile-value", Static)
        await _until(lambda: str(tile.visual) != LOADING)  # the dashboard is ready
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        table = screen.table
        await _until(lambda: table.loads > 0)
        customers = table.total
        for word in SEARCHES:
            await pilot.press("x", "slash")
            await _until(lambda: not table.busy)
            typed = []
            for char in word:
                loads = table.loads
                key = "space" if char == " " else char
                typed.append(await _press(app, key, char, lambda loads=loads: table.loads > loads))
            timings["keystroke"] += typed
            print(f"  typing {word!r:<16} " + " ".join(f"{t * 1000:4.0f}" for t in typed) + " ms")
        await pilot.press("enter", "x")
        await _until(lambda: not table.busy)
        for _ in range(150):
            row = table.first_index + table.cursor_row
            timings["page"].append(
                await _press(
                    app, "pagedown", None,
                    lambda row=row: table.first_index + table.cursor_row > row,
                )
            )  # fmt: skip
            await asyncio.sleep(0.03)  # a key held down repeats about this fast
        loads = table.loads
        timings["page_end"].append(
            await _press(app, "end", None, lambda: table.loads > loads and table.at_end)
        )
    print(f"  customers in the list: {customers:,}")
    return timings


def report(label: str, values: list[float], target: float | None, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    shown = [value * scale for value in values]
    median, worst = statistics.median(shown), max(shown)
    p95 = sorted(shown)[max(int(len(shown) * 0.95) - 1, 0)]
    verdict = ""
    if target is not None:
        verdict = "  ok" if worst <= target else f"  OVER {target:g} {unit}"
    print(f"  {label:<38} median {median:7.1f} {unit}  p95 {p95:7.1f}  max {worst:7.1f}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=Path, help="a large shop (default: the shared 1M shop)")
    args = parser.parse_args()
    big = private_copy(args.big or shop_db())
    # The owner's remembered preferences (period, theme) must not change what is measured.
    os.environ[CONFIG_DIR_ENV] = tempfile.mkdtemp(prefix="retain-bench-config-")

    for name, db, target in (("demo shop", demo_db(), 1.0), ("1M-order shop", big, 2.0)):
        with open_store(db) as store:
            size = (store.scalar("SELECT count(*) FROM customers"),
                    store.scalar("SELECT count(*) FROM orders"))  # fmt: skip
        print(f"\n{name}: {db} ({size[0]:,} customers, {size[1]:,} orders)")
        runs = [launch(db) for _ in range(LAUNCHES)]
        report("launch to interactive dashboard", [s for s, _ in runs], target, "s")
        print(f"  peak memory (dashboard, list, search, 30 pages)   {max(m for _, m in runs)} MB"
              + ("  ok" if max(m for _, m in runs) <= 500 else "  OVER 500 MB"))  # fmt: skip

    print(f"\ncustomers screen on {big.name}")
    timings = asyncio.run(interaction(big))
    report("search keystroke -> updated rows", timings["keystroke"], 150)
    report("page down -> cursor on the next page", timings["page"], 50)
    report("end -> last page read and shown", timings["page_end"], None)


if __name__ == "__main__":
    main()
