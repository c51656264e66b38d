"""`retain-tui serve`: the real server in a subprocess on 127.0.0.1, its page, one browser
session's app drawing the named shop, a clean stop, and the refusals (port, host).

Every wait polls with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.tui_fixtures import build_shop
from tui.commands.serve import app_command, browser_url, is_loopback

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def until(condition: Callable[[], object], what: str, deadline: float = DEADLINE) -> object:
    """Poll `condition` until it returns something true, or fail saying what never came."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def page(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def start(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--db", str(db), *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture
def odd_db(tmp_path: Path) -> Path:
    """The test shop under a name a shell would split or expand, were it not quoted."""
    folder = tmp_path / "it's $HOME; a shop"
    folder.mkdir()
    return build_shop(folder / "corner shop.db")


@pytest.fixture
def server(odd_db: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = start(odd_db, "--port", str(port))
    try:
        until(lambda: page(port) or process.poll() is not None, "the page")
        assert process.poll() is None, process.communicate()
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    out, err = process.communicate(timeout=DEADLINE)
    return process.returncode, out, err


async def session_screen(port: int, wanted: str) -> str:
    """Connect as a browser does and read the app's output until `wanted` is drawn."""
    seen = b""
    url = f"http://127.0.0.1:{port}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as websocket:
        end = time.monotonic() + DEADLINE
        while wanted.encode() not in seen:
            message = await websocket.receive(timeout=max(0.1, end - time.monotonic()))
            assert message.type == aiohttp.WSMsgType.BINARY, (message.type, message.data)
            seen += message.data
        await websocket.close()
    return seen.decode("utf-8", "replace")


def test_serves_the_page_and_the_named_shop_then_stops_on_sigterm(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = server
    html = page(port)
    assert html is not None
    assert "<div>retain-tui</div>" in html
    assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
    # Everything the page loads comes from this server: no font or script from elsewhere.
    loaded = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert loaded and all(url.startswith(f"http://127.0.0.1:{port}/") for url in loaded), loaded
    assert "googleapis" not in html
    screen = asyncio.run(session_screen(port, "corner shop.db"))
    assert "Dashboard" in screen
    code, out, err = stop(process, signal.SIGTERM)
    assert code == 0, err
    assert f"Serving the shop at http://127.0.0.1:{port}" in out
    assert f"ssh -L {port}:localhost:{port} user@shop-server" in out
    assert out.rstrip().endswith("Stopped serving the shop.")
    assert "Traceback" not in out + err
    assert page(port) is None


def test_sigterm_with_a_session_open_ends_its_app_too(
    server: tuple[subprocess.Popen[str], int], odd_db: Path
) -> None:
    process, port = server

    async def open_session_then_stop() -> dict[int, str]:
        url = f"http://127.0.0.1:{port}/ws?width=80&height=24"
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as websocket:
            seen = b""
            while b"Dashboard" not in seen:
                seen += (await websocket.receive(timeout=DEADLINE)).data
            apps = session_processes(process.pid)
            process.send_signal(signal.SIGTERM)
            while not websocket.closed:
                await websocket.receive(timeout=DEADLINE)
        return apps

    apps = asyncio.run(open_session_then_stop())
    assert list(apps.values()) == [str(odd_db)]
    assert process.wait(timeout=DEADLINE) == 0
    until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in apps), "the app to end")


def test_without_a_shop_every_session_shows_the_demo(own_home: Path) -> None:
    """No --db and no shop.db: the demo is made once before serving, and each session opens
    it as the app would; --public-url is the address the page gives the browser."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port),
         "--public-url", f"http://localhost:{port}"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        html = until(lambda: page(port) or process.poll() is not None, "the page")
        assert process.poll() is None, process.communicate()
        assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in str(html)
        assert (own_home / ".local/share/retain-tui/demo.db").exists()
        assert "DEMO" in asyncio.run(session_screen(port, "DEMO"))
        code, _out, err = stop(process, signal.SIGTERM)
        assert code == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_ctrl_c_stops_with_130(server: tuple[subprocess.Popen[str], int]) -> None:
    process, _port = server
    code, out, err = stop(process, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in out + err


def test_a_port_in_use_is_one_line_and_exit_2(odd_db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--db", str(odd_db), "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: port {port} on 127.0.0.1 is in use (another serve?): choose another with --port\n"
    )


def test_another_interface_needs_allow_network(odd_db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--db", str(odd_db), "--host", "0.0.0.0"],
        cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: --host 0.0.0.0: anyone on that network")
    assert "--allow-network" in done.stderr


def test_allow_network_warns_before_serving(odd_db: Path) -> None:
    """On purpose: a warning first (here the port is taken, so nothing listens anywhere)."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--db", str(odd_db), "--host", "0.0.0.0",
             "--allow-network", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"warning: serving on 0.0.0.0: anyone who can reach port {port} there opens the shop",
        f"error: port {port} on 0.0.0.0 is in use (another serve?): choose another with --port",
    ]


def test_a_missing_shop_is_refused_before_serving(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--db", str(tmp_path / "nope.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "nope.db" in done.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False), ("shop.example", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_server_on_every_interface_gives_browsers_this_computers_name() -> None:
    assert browser_url("0.0.0.0", 8000) == f"http://{socket.gethostname()}:8000"
    assert browser_url("::", 8001) == f"http://{socket.gethostname()}:8001"
    assert browser_url("192.168.1.5", 8000) is None
    assert browser_url("shop.example", 8000) is None


def test_the_session_command_quotes_the_path() -> None:
    command = app_command("/srv/it's $HOME; rm -rf x/shop.db")
    done = subprocess.run(
        f"printf '%s\\n' {command.split(' ', 1)[1]}", shell=True, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["-m", "tui", "--db", "/srv/it's $HOME; rm -rf x/shop.db"]


CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(path).exists()),
    None,
)
BROWSER_STATE = (
    "JSON.stringify({body: document.body.className,"
    " intro: document.querySelector('.intro-dialog .intro div').textContent,"
    " terminal: document.querySelector('.textual-terminal .xterm-screen') !== null})"
)


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless browser here: install Chromium (apt-get install chromium) to check "
    "the served page in a real browser",
)
def test_a_real_browser_shows_the_app(
    server: tuple[subprocess.Popen[str], int], odd_db: Path, tmp_path: Path
) -> None:
    """Headless Chromium opens the page; its terminal receives the app's first screen
    (textual.js marks the body `-first-byte`), and the session runs on the named shop."""
    process, port = server
    profile = tmp_path / "profile"
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", f"http://127.0.0.1:{port}/"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"
        until(lambda: active.exists() and active.read_text().count("\n") >= 1, "DevTools")
        devtools = int(active.read_text().split()[0])
        state = asyncio.run(browser_state(devtools, port))
        assert state["intro"] == "retain-tui"
        assert state["terminal"] is True
        assert "-first-byte" in state["body"].split()
        assert list(session_processes(process.pid).values()) == [str(odd_db)]
    finally:
        browser.kill()
        browser.wait(timeout=DEADLINE)


async def browser_state(devtools: int, port: int) -> dict[str, object]:
    """Ask the page, over the DevTools protocol, until its terminal has the app's output."""
    import json

    async with aiohttp.ClientSession() as http:
        end = time.monotonic() + DEADLINE
        target = None
        while target is None:
            assert time.monotonic() < end, "the browser never opened the page"
            async with http.get(f"http://127.0.0.1:{devtools}/json/list") as response:
                pages = await response.json()
            target = next((p for p in pages if f"127.0.0.1:{port}" in p.get("url", "")), None)
            await asyncio.sleep(0.05)
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as cdp:
            number = 0
            while True:
                number += 1
                await cdp.send_json(
                    {"id": number, "method": "Runtime.evaluate",
                     "params": {"expression": BROWSER_STATE, "returnByValue": True}}
                )  # fmt: skip
                reply = await cdp.receive_json(timeout=DEADLINE)
                while reply.get("id") != number:
                    reply = await cdp.receive_json(timeout=DEADLINE)
                value = reply["result"]["result"].get("value")
                state = json.loads(value) if value else {}
                if "-first-byte" in str(state.get("body", "")).split():
                    return state
                assert time.monotonic() < end, f"the app never drew in the browser: {state}"
                await asyncio.sleep(0.05)


def session_processes(server_pid: int) -> dict[int, str]:
    """Each app process the server started for a browser session (Linux /proc):
    its children and their children (the shell textual-serve starts may exec the app)."""
    parents: dict[int, int] = {}
    commands: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                args = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            ppid = next(line.split()[1] for line in status.splitlines() if line[:5] == "PPid:")
            parents[int(entry.name)] = int(ppid)
            commands[int(entry.name)] = args.split("\0")
    found = {}
    for pid, words in commands.items():
        ancestors = {parents.get(pid), parents.get(parents.get(pid, 0))}
        if server_pid in ancestors and words[1:3] == ["-m", "tui"] and "--db" in words:
            found[pid] = words[words.index("--db") + 1]
    return found
