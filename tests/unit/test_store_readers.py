"""The batch kernels' kept read connection: reads share it, a write in the same process closes
it first, and another process cannot write while it is open (why it is off by default)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csc_workbench.store import atoms as store_atoms
from csc_workbench.store.atoms import Store, reuse_read_connections
from tests.conftest import make_atoms

ROWS = [("referrals", "2017-03", "North", "all", "month", None, None, 120)]


@pytest.fixture
def reusing():
    reuse_read_connections(True)
    yield
    reuse_read_connections(False)


def test_reads_share_one_connection_and_a_write_closes_it(tmp_path, reusing) -> None:
    store = Store(tmp_path / "store.duckdb")
    store.add_vintage(make_atoms(ROWS), "first", "aggregates")
    assert store.latest()["value"].tolist() == [120]
    kept = store_atoms._READERS[store.path.resolve()]
    assert len(Store(tmp_path / "store.duckdb").latest()) == 1  # a second Store object, same file
    assert store_atoms._READERS[store.path.resolve()] is kept and len(store_atoms._READERS) == 1

    store.add_vintage(make_atoms([(*ROWS[0][:7], 125)]), "second", "aggregates")  # closes the reader first
    assert store.path.resolve() not in store_atoms._READERS
    assert store.latest()["value"].tolist() == [125]  # a fresh reader sees the new vintage


def test_off_by_default_so_another_process_can_load(tmp_path) -> None:
    store = Store(tmp_path / "store.duckdb")
    store.add_vintage(make_atoms(ROWS), "first", "aggregates")
    write = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('CREATE TABLE IF NOT EXISTS probe (x INT)'); con.close()"
    )
    assert store.latest()["value"].tolist() == [120]
    assert not store_atoms._READERS  # nothing kept open
    done = subprocess.run([sys.executable, "-c", write, str(store.path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    reuse_read_connections(True)
    try:
        store.latest()
        blocked = subprocess.run([sys.executable, "-c", write, str(store.path)], capture_output=True, text=True)
        assert blocked.returncode != 0 and "lock" in blocked.stderr.lower()
    finally:
        reuse_read_connections(False)
    assert not store_atoms._READERS
