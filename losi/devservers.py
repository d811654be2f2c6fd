"""Throw-away Redis and PostgreSQL servers on 127.0.0.1, from Debian's packages: for the tests, the
benchmarks and trying a distributed run on one machine. Each runs in a temporary folder at a free port and is
gone when the block ends. ServerUnavailable says when the server binaries are not installed
(scripts/setup.sh installs them); ServerStartError, when installed servers do not start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_SECONDS = 60.0


class ServerUnavailable(RuntimeError):
    """The server is not installed here; the message says what to install."""


class ServerStartError(RuntimeError):
    """The server is installed but did not start; the message has the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"{what} exited at start (code {process.returncode}): {_tail(log)}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    process.kill()
    raise ServerStartError(f"{what} did not listen on 127.0.0.1:{port} within {START_SECONDS:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis without persistence; yields its URL (redis://127.0.0.1:PORT/0)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("redis-server is not installed (apt-get install redis-server, or make setup)")
    workdir = Path(tempfile.mkdtemp(prefix="losi-redis-"))
    port = free_port()
    log = workdir / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", str(workdir)],
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_for_port(port, process, "redis-server", log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").is_file():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL cluster (initdb, trust on 127.0.0.1); yields its URL for the store
    (postgresql+psycopg://losi@127.0.0.1:PORT/postgres). As root it runs as the postgres user."""
    pg_bin = postgres_bin()
    if pg_bin is None:
        raise ServerUnavailable("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    workdir = Path(tempfile.mkdtemp(prefix="losi-pg-"))
    port = free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        shutil.chown(workdir, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    log = workdir / "postgres.log"
    try:
        init = subprocess.run([*run_as, str(pg_bin / "initdb"), "-A", "trust", "-U", "losi", "-D", str(data)],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        if init.returncode != 0:
            raise ServerStartError(f"initdb failed: {init.stderr.strip()[-300:]}")
        log.touch()
        if run_as:
            shutil.chown(log, "postgres", "postgres")
        process = subprocess.Popen(
            [*run_as, str(pg_bin / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(workdir), "-c", "max_connections=200", "-c", "fsync=off"],
            stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for_port(port, process, "postgres", log)
            _wait_for_sql(f"postgresql+psycopg://losi@127.0.0.1:{port}/postgres")
            yield f"postgresql+psycopg://losi@127.0.0.1:{port}/postgres"
        finally:
            _stop(process)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_sql(url: str) -> None:
    """The port opens before the server accepts queries (it may still be starting up)."""
    from sqlalchemy import create_engine, text

    deadline = time.monotonic() + START_SECONDS
    engine = create_engine(url)
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        engine.dispose()
