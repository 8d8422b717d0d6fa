"""A store folder held by another process (`evidencekg serve`): the CLI says so in one line and touches nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evidencekg.errors import StoreError
from evidencekg.store.embedded import OxigraphStore

CLI = Path(sys.executable).with_name("evidencekg")
HOLDER = (
    "import sys, time; from pathlib import Path; from evidencekg.store.embedded import OxigraphStore; "
    "s = OxigraphStore(Path(sys.argv[1])); print('open', flush=True); time.sleep(60)"
)


@pytest.fixture
def held_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store folder opened by a separate process for the duration of the test."""
    folder = tmp_path / "store"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        yield folder
    finally:
        holder.kill()
        holder.wait()


def test_opening_a_held_store_raises_a_store_error_and_keeps_its_files(held_store: Path) -> None:
    """The lock error names the folder; a bulk-*.sst file of the holder is not deleted."""
    in_flight = held_store / "bulk-0001.sst"
    in_flight.write_bytes(b"holder's bulk load")
    with pytest.raises(StoreError, match=str(held_store)):
        OxigraphStore(held_store)
    assert in_flight.exists()


def test_cli_load_on_a_held_store_prints_one_error_line(held_store: Path) -> None:
    """`evidencekg load --store DIR` while another process holds DIR: exit 1, `error: ...`, no traceback."""
    done = subprocess.run([str(CLI), "load", "--store", str(held_store)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "in use by another process" in done.stderr
    assert "Traceback" not in done.stderr and str(held_store) in done.stderr


def test_orphan_bulk_files_are_removed_once_the_store_is_ours(tmp_path: Path) -> None:
    """A bulk-*.sst left by a killed bulk load is deleted when the store is opened."""
    folder = tmp_path / "store"
    OxigraphStore(folder).flush()
    orphan = folder / "bulk-0002.sst"
    orphan.write_bytes(b"left by a killed bulk_load")
    OxigraphStore(folder)
    assert not orphan.exists()
