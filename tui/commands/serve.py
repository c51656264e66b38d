"""`retain-tui serve`: the same app in a browser, through textual-serve.

textual-serve runs one command per browser session (a shell line, with TEXTUAL_DRIVER naming
its web driver): here `python -m tui --db PATH`, the shop checked once before the server
starts. It binds to 127.0.0.1: the app has no login, and the shop holds customers' names and
addresses, so another interface is refused unless `--allow-network` says so on purpose.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import shlex
import signal
import socket
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tui.commands.common import DbOption, ExitCode, console, db_option, fail, warn

if TYPE_CHECKING:
    from textual_serve.server import Server

PAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "web"
"""Our copy of textual-serve's page, which loads nothing from other sites (its own links a
Google font, so each owner's browser would tell Google when the shop was opened)."""
TUNNEL_HINT = "ssh -L {port}:localhost:{port} user@shop-server"
STOP_CODES = {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.OK}
"""Ctrl-C ends `serve` as it ends any command (130); SIGTERM is a service manager's normal
stop (0)."""


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option("--host", metavar="HOST", help="The interface to listen on."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=1, max=65535, help="The port.")
    ] = 8000,
    allow_network: Annotated[
        bool,
        typer.Option(
            "--allow-network",
            help="Allow a --host other than this computer: anyone who can reach it opens "
            "the shop, with no password.",
        ),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            metavar="URL",
            help="The address browsers use, when it is not http://HOST:PORT (e.g. behind a proxy).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the app to a web browser (on this computer; over SSH with a tunnel)."""
    if not is_loopback(host):
        if not allow_network:
            fail(
                f"--host {host}: anyone on that network could open the shop, with no "
                "password; to mean it, add --allow-network (or keep the default 127.0.0.1 and "
                f"use an SSH tunnel: {TUNNEL_HINT.format(port=port)})"
            )
        warn(f"serving on {host}: anyone who can reach port {port} there opens the shop")
    from tui.launch import ShopRefused, pick_shop

    chosen = db_option(ctx, db)
    try:
        shop = pick_shop(chosen)
    except ShopRefused as exc:
        fail(str(exc))
    refuse_port_in_use(host, port)
    command = app_command(str(shop.path.resolve()) if shop.named else None)
    server = shop_server(command, host, port, public_url or browser_url(host, port))
    stopped_by = run_until_stopped(server)
    console.print("Stopped serving the shop.")
    raise typer.Exit(STOP_CODES.get(stopped_by, ExitCode.OK))


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1 or localhost: only this computer can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def browser_url(host: str, port: int) -> str | None:
    """Where browsers find a server listening on every interface (0.0.0.0, ::): this
    computer's name, since the page tells the browser where its websocket is; None (the
    host itself) for any other host."""
    try:
        every = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return None
    return f"http://{socket.gethostname()}:{port}" if every else None


def app_command(db_path: str | None) -> str:
    """The shell line textual-serve runs per browser session: this Python, this app, the
    shop's resolved path quoted (spaces, quotes or `$` in a path stay one argument). Without
    a named shop the session picks it as the app does (shop.db, else the demo made above)."""
    words = [sys.executable, "-m", "tui"]
    if db_path is not None:
        words += ["--db", db_path]
    return shlex.join(words)


def refuse_port_in_use(host: str, port: int) -> None:
    """One line and exit 2 when something already listens there (before any banner)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        fail(f"--host {host}: {exc.strerror or exc}")
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                _refuse_bind(host, port, exc)


def _refuse_bind(host: str, port: int, exc: OSError) -> None:
    if exc.errno == errno.EADDRINUSE:
        fail(f"port {port} on {host} is in use (another serve?): choose another with --port")
    fail(f"cannot listen on {host} port {port}: {exc.strerror or exc}")


def shop_server(command: str, host: str, port: int, public_url: str | None) -> Server:
    from aiohttp import web
    from textual_serve.server import Server

    sessions: set[asyncio.Task[object]] = set()

    class ShopServer(Server):
        """textual-serve's server saying where to open the shop instead of its logo, and
        ending each browser session's app when it stops (aiohttp would wait up to a minute
        for open websockets to close by themselves)."""

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            session = asyncio.current_task()
            assert session is not None
            sessions.add(session)
            try:
                return await super().handle_websocket(request)
            finally:
                sessions.discard(session)

        async def on_shutdown(self, app: web.Application) -> None:
            # textual-serve's handler answers a cancel by closing the websocket and telling
            # the session's app to quit, and waits for it to end.
            for session in sessions:
                session.cancel()

        async def on_startup(self, app: web.Application) -> None:
            url = self.public_url
            console.print(f"Serving the shop at {url} (Ctrl-C stops it).")
            if is_loopback(self.host):
                console.print(
                    "From another computer, open an SSH tunnel: "
                    f"{TUNNEL_HINT.format(port=self.port)}, then browse to "
                    f"http://localhost:{self.port}"
                )

    return ShopServer(
        command, host=host, port=port, title="retain-tui", public_url=public_url,
        templates_path=PAGE_TEMPLATES,
    )  # fmt: skip


def run_until_stopped(server: Server) -> signal.Signals | None:
    """Serve until Ctrl-C or SIGTERM (each browser session's app is told to quit); the
    signal that stopped it. A port taken since the check: one line, exit 2."""
    from aiohttp import web
    from aiohttp.web_runner import GracefulExit

    server.initialize_logging()
    loop = asyncio.new_event_loop()
    stopped: list[signal.Signals] = []

    def stop(signum: signal.Signals) -> None:
        stopped.append(signum)
        raise GracefulExit()

    for signum in STOP_CODES:
        with suppress(NotImplementedError):  # Windows has no loop signal handlers
            loop.add_signal_handler(signum, stop, signum)
    try:
        web.run_app(
            server._make_app(),
            host=server.host,
            port=server.port,
            handle_signals=False,
            loop=loop,
            print=None,
        )
    except OSError as exc:
        _refuse_bind(server.host, server.port, exc)
    return stopped[0] if stopped else None
