"""A real PostgreSQL server for the tests and benchmarks, started in a temporary folder.

The server binaries come from Debian's ``postgresql`` package (/usr/lib/postgresql/*/bin) or
the PATH. PostgreSQL refuses to run as root, so under root (CI) the server runs as a system
user made for it, which owns the folder. It listens on a free TCP port on 127.0.0.1 (password
authentication, for the tests of passwords) and on a Unix socket in its folder (trusted).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_USER = "commsplan-pg"


def find_bindir() -> Path | None:
    """The folder of initdb, pg_ctl and postgres, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, when we are root; None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


@dataclass
class PgServer:
    bindir: Path
    folder: Path  # holds the data folder, the socket and the server's log
    port: int
    owner: tuple[int, int] | None

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        """A URL through the Unix socket (trusted: no password)."""
        return f"postgresql://{user}@/{dbname}?host={self.folder}&port={self.port}"

    def tcp_url(self, dbname: str, user: str) -> str:
        """A URL over TCP, where the server asks for the password."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, name: str) -> str:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self.owner is not None:
            extra = {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, env=env, cwd=self.folder, **extra
        )

    def start(self) -> None:
        data = self.folder / "data"
        init = self._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        started = self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                            "-o", options, "start")  # fmt: skip
        if started.returncode != 0:
            log = (
                (self.folder / "server.log").read_text(errors="replace")
                if (self.folder / "server.log").exists()
                else ""
            )
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log[-2000:]}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PgServer | str:
    """A running server, or why there cannot be one (a skip reason)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[test]' (it brings commsplan[postgres])"
    bindir = find_bindir()
    if bindir is None:
        return "no PostgreSQL server binary (initdb) here: install Debian's postgresql package (.ci/run does)"
    try:
        owner = _server_user()
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"running as root and cannot make a user for the PostgreSQL server: {exc}"
    folder = Path(tempfile.mkdtemp(prefix="commsplan-pg-"))
    if owner is not None:
        os.chown(folder, *owner)
    server = PgServer(bindir, folder, _free_port(), owner)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        with contextlib.suppress(Exception):
            server.stop()
        return f"the PostgreSQL server in {folder} did not start: {exc}"
    return server
