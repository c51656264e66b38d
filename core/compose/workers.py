"""Helper processes that render drafts, so a large export uses every core.

Rendering is pure Python (Jinja, Babel), so one process drafts about 5,000 emails a second;
a 100,000-draft mbox would take 20 s on one core and about 11 s on two. The helpers are
plain subprocesses running this module (`python -m core.compose.workers`), not
`multiprocessing`: that would re-import the caller's main module in every child, which runs
the CLI again when it was started as `python -m tui`, or any unguarded script.

Protocol, over the child's stdin/stdout: length-prefixed pickles. The parent sends one
setup message, then jobs of (customer id, language, own discount code or None) triples; the
child answers each job with the rendered payloads, in order. Jobs are a few kilobytes, so
the parent never blocks writing while a child blocks writing its answer. The parent only
unpickles what its own children wrote.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from core.compose.errors import ComposeError

_HEADER = struct.Struct("!Q")
JOBS_AHEAD = 2  # queued jobs per helper: enough to keep it busy, small enough never to block


@dataclass(frozen=True)
class Setup:
    """What every helper needs to render exactly as the parent would."""

    db_path: str
    templates_dir: str | None
    today: date
    as_of: date
    template: str
    discount: Any
    kind: str
    date_header: str
    reorder: dict[str, Any] | None = None  # the parent's reorder evidence (ContextLoader)


def write_message(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream: IO[bytes]) -> Any:
    """The next message, or EOFError when the other side has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class HelperPool:
    """`count` helper processes; `run(jobs)` yields each job's results in job order."""

    def __init__(self, count: int, setup: Setup) -> None:
        import core

        root = str(Path(core.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (root, env.get("PYTHONPATH"))))
        self.procs: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(count):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "core.compose.workers"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
                self.procs.append(proc)
                assert proc.stdin is not None
                write_message(proc.stdin, setup)
        except BaseException:
            self.close()
            raise

    def run(self, jobs: Iterable[list[tuple[int, str, str | None]]]) -> Iterator[list[Any]]:
        pending: deque[subprocess.Popen[bytes]] = deque()
        for turn, job in enumerate(jobs):
            if len(pending) >= JOBS_AHEAD * len(self.procs):
                yield self._answer(pending.popleft())
            proc = self.procs[turn % len(self.procs)]
            assert proc.stdin is not None
            try:
                write_message(proc.stdin, job)
            except OSError:
                raise ComposeError("a drafting helper process stopped unexpectedly") from None
            pending.append(proc)
        while pending:
            yield self._answer(pending.popleft())

    def _answer(self, proc: subprocess.Popen[bytes]) -> list[Any]:
        assert proc.stdout is not None
        try:
            status, payload = read_message(proc.stdout)
        except EOFError:
            raise ComposeError("a drafting helper process stopped unexpectedly") from None
        if status != "ok":
            raise ComposeError(f"a drafting helper process failed: {payload}")
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        """Ask every helper to finish (end of input) and wait; kill any that hangs."""
        for proc in self.procs:
            if proc.stdin is not None and not proc.stdin.closed:
                with suppress(OSError):  # the helper may be gone already
                    proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self.procs = []


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from core.compose.composer import Composer
    from core.compose.drafts import Recipient
    from core.compose.export import render_payloads
    from core.store import open_store

    setup: Setup = read_message(stdin)
    folder = Path(setup.templates_dir) if setup.templates_dir is not None else None
    store = open_store(setup.db_path)
    composer = Composer(store, folder, as_of=setup.as_of, today=setup.today)
    if setup.reorder is not None:
        composer.loader.seed_reorder(setup.reorder)
    while True:
        try:
            job = read_message(stdin)
        except EOFError:
            break
        recipients = [Recipient(cid, "", "", lang, discount_code=code) for cid, lang, code in job]
        try:
            payloads = render_payloads(
                composer, setup.template, recipients, setup.discount, setup.kind,
                setup.date_header,
            )  # fmt: skip
            write_message(stdout, ("ok", payloads))
        except Exception as exc:  # reported by the parent, which writes nothing
            write_message(stdout, ("error", f"{type(exc).__name__}: {exc}"))
    store.close()


def main() -> None:
    try:
        _serve(sys.stdin.buffer, sys.stdout.buffer)
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        sys.exit(1)


if __name__ == "__main__":
    main()
