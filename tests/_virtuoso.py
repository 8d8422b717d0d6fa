"""A real Virtuoso 7 for tests: started on loopback with its own ini file, ephemeral ports and a temporary database folder.

Its SQL account `ekg` holds the SPARQL_UPDATE role, so updates go to /sparql-auth with HTTP
Digest authentication (anonymous /sparql stays read-only, as Virtuoso ships it). Tests that use
it skip when virtuoso-t or isql-vt is not installed (`make system` installs them).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from evidencekg.store.engines import VIRTUOSO
from evidencekg.store.remote import RemoteStore
from tests._server import free_port
from tests._writes_support import wait_for

USER, PASSWORD = "ekg", "ekg-test-secret"
START_TIMEOUT = 120.0  # a fresh database takes ~20 s to initialise on a busy machine

INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its SPARQL endpoints and the account that may update."""

    base: str

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    def store(self) -> RemoteStore:
        """A RemoteStore reading /sparql and updating /sparql-auth (Digest), profile detected from its Server header."""
        return RemoteStore(self.query_url, self.update_url, update_auth=(USER, PASSWORD))


def programs() -> tuple[str, str]:
    """virtuoso-t and isql-vt, or skip the test."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not server or not isql:
        pytest.skip("Virtuoso 7 (virtuoso-t, isql-vt) is not installed: `make system` installs it")
    return server, isql


@contextmanager
def virtuoso(folder: Path) -> Iterator[Virtuoso]:
    """Start Virtuoso in `folder` (its ini, database and log there), grant `ekg` updates, stop it at the end."""
    server, isql = programs()
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen([server, "-c", str(ini), "+foreground"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(f"{base}/sparql", timeout=START_TIMEOUT)
        grant = f"DB.DBA.USER_CREATE('{USER}', '{PASSWORD}'); GRANT SPARQL_UPDATE TO \"{USER}\";"
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={grant}"],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout + done.stderr
        yield Virtuoso(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


__all__ = ["VIRTUOSO", "Virtuoso", "virtuoso"]
