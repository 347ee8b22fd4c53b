"""The store under faults (issue 11), through real processes: a store another process holds is
waited for and then refused as busy, a read waits for a load to finish, a damaged or unwritable
store gets one line and is never written to, ``kill -9`` at any moment of a load leaves earlier
vintages and the scorecard exactly as they were, and Ctrl-C during ``cscw ingest`` or ``cscw run``
prints one line, stops the pack's kernels and leaves no temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.cli import main
from csc_workbench.config import load_params
from csc_workbench.ingest.aggregates import ingest_aggregates
from csc_workbench.pack.kernels import DRAWINGS
from csc_workbench.store import Store
from csc_workbench.store import atoms as store_atoms

from ..conftest import FIXTURES, ROOT

PARAMS = str(FIXTURES / "small")
CSCW = str(Path(sys.executable).with_name("cscw"))
HEADER = "indicator,period,org_unit,window,numerator,denominator,value\n"

#: ``python -c DRIVER STATEMENT SECONDS ARGS...``: runs ``cscw ARGS`` with every write connection
#: saying which statement it ran ("after BEGIN TRANSACTION") and pausing SECONDS after STATEMENT, so
#: a test can kill or interrupt a load at a known moment.
DRIVER = """
import sys, time
import duckdb

statement, seconds, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
connect = duckdb.connect

class Pausing:
    def __init__(self, con):
        self._con = con
    def __getattr__(self, name):
        return getattr(self._con, name)
    def execute(self, sql, *args):
        result = self._con.execute(sql, *args)
        done = " ".join(sql.split()[:3])
        print("after", done, flush=True)
        if done.startswith(statement):
            time.sleep(seconds)
        return result

def pausing(database, read_only=False, **kwargs):
    con = connect(database, read_only=read_only, **kwargs)
    return con if read_only else Pausing(con)

duckdb.connect = pausing
from csc_workbench.cli import main
sys.exit(main(argv))
"""


def monthly(first_year: int, org: str, count: int) -> str:
    """Rows of referrals and re-referrals for 24 months from April ``first_year``."""
    rows = []
    for i in range(24):
        month = f"{first_year + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}"
        rows.append(f"referrals,{month},{org},,,,{count + i}\n")
        rows.append(f"rereferrals,{month},{org},r12m,{300 + i},{1500 + count},\n")
    return HEADER + "".join(rows)


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Store, Path]:
    """A store with two vintages, and a third file ready to load."""
    store = Store(tmp_path / "store.duckdb")
    params = load_params(PARAMS)
    for name, org in (("north.csv", "North"), ("south.csv", "South")):
        (tmp_path / name).write_text(monthly(2015, org, 100), encoding="utf-8")
        ingest_aggregates(tmp_path / name, params, store)
    (tmp_path / "next.csv").write_text(monthly(2015, "Testshire", 400), encoding="utf-8")
    return store, tmp_path / "next.csv"


def state(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What a pack reads: latest atoms, vintages and the April 2017 scorecard of every org unit."""
    params = load_params(PARAMS)
    card = scorecard(store, params, "2017-04", params.authority.org_unit_names)
    return store.latest(), store.vintages()[["vintage", "source", "rows", "as_at"]], card


def assert_unchanged(store: Store, before) -> None:
    for frame, was in zip(state(store), before, strict=True):
        pd.testing.assert_frame_equal(frame, was)


def drive(statement: str, seconds: float, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, statement, str(seconds), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(process: subprocess.Popen, marker: str) -> None:
    """Read the driver's lines until ``after <marker>``."""
    for line in process.stdout:
        if line.startswith(f"after {marker}"):
            return
    pytest.fail(f"the load ended before {marker}: {process.stderr.read()}")


def ingest(store: Store, path: Path) -> list[str]:
    return ["ingest", "aggregates", str(path), "--params", PARAMS, "--store", str(store.path)]


# --- busy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("holder", ["a load writing", "a pack reading"])
def test_a_busy_store_is_waited_for_then_refused_in_one_line(loaded, capsys, monkeypatch, holder) -> None:
    store, path = loaded
    before = state(store)
    hold = (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'read'); "
        "print('holding', flush=True); time.sleep(60)"
    )
    mode = "read" if holder == "a pack reading" else "write"
    holding = subprocess.Popen([sys.executable, "-c", hold, str(store.path), mode], stdout=subprocess.PIPE, text=True)
    try:
        assert holding.stdout.readline() == "holding\n"
        monkeypatch.setattr(store_atoms, "WRITE_WAIT", 1.5)
        started = time.monotonic()
        assert main(ingest(store, path)) == 1
        assert time.monotonic() - started >= 1.5
        assert capsys.readouterr().err == (
            f"cscw: {store.path}: the store is busy (another load is running, or a pack is being built from it); "
            "waited 1.5 s and stored nothing: run this load again when the other has finished\n"
        )
        if mode == "write":  # a writer also keeps readers out, for READ_WAIT seconds
            monkeypatch.setattr(store_atoms, "READ_WAIT", 0.5)
            assert main(["vintages", "--store", str(store.path)]) == 1
            assert capsys.readouterr().err == (
                f"cscw: {store.path}: the store is busy (another load is running); waited 0.5 s: try again when it "
                "has finished\n"
            )
    finally:
        holding.kill()
        holding.wait()
    assert_unchanged(store, before)
    assert main(ingest(store, path)) == 0  # once free, the same load goes in


def test_a_read_waits_for_a_load_and_neither_loses_anything(loaded) -> None:
    """A pack page reading (a kept read connection, as the batch kernels hold) while a load writes."""
    store, path = loaded
    load = drive("INSERT INTO atoms", 2, *ingest(store, path))
    wait_for(load, "INSERT INTO atoms")  # the load holds the store's lock, half way through its transaction
    store_atoms.reuse_read_connections(True)
    try:
        started = time.monotonic()
        latest = store.latest()
        waited = time.monotonic() - started
    finally:
        store_atoms.reuse_read_connections(False)
    _, stderr = load.communicate(timeout=60)
    assert load.returncode == 0, stderr
    assert waited > 0.5
    assert set(latest["vintage"]) == {1, 2, 3}  # the read saw the load's vintage, whole
    assert list(store.vintages()["source"])[-1] == str(path)


# --- damaged, not a store, unwritable --------------------------------------------------------


def _damage(store: Path, kind: str) -> None:
    data = store.read_bytes()
    if kind == "empty":
        store.write_bytes(b"")
    elif kind == "not DuckDB":
        store.write_text(HEADER, encoding="utf-8")
    elif kind == "another database":
        store.unlink()
        con = duckdb.connect(str(store))
        con.execute("CREATE TABLE measurements AS SELECT 1 AS x")
        con.close()
    else:  # truncated to ``kind`` bytes, or by a negative number of bytes
        cut = int(kind.split()[1])
        store.write_bytes(data[:cut])


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "is empty (0 bytes), not a store: delete it (the next load starts a new store), or give --store "
                  "the store's file"),
        ("not DuckDB", "is not a DuckDB file, so not a store: give --store the store's file (data/store.duckdb by "
                       "default); it was not changed"),
        ("another database", "is a DuckDB database but not a workbench store (it has no vintages table): give "
                             "--store the store's file; it was not changed"),
        ("truncated 100", "is damaged (truncated: it ends before its data does): restore it from a backup, or move "
                          "it aside and load the data again; it was not changed"),
        ("truncated 20000", "is damaged (truncated: it ends before its data does)"),
        ("truncated 300000", "is damaged (truncated: "),
        ("truncated -1", "is damaged (truncated: "),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["ingest", "scorecard", "vintages"])
def test_a_damaged_store_gets_one_line_and_is_never_written(loaded, capsys, kind, message, command) -> None:
    store, path = loaded
    _damage(store.path, kind)
    data = store.path.read_bytes()
    args = {
        "ingest": ingest(store, path),
        "scorecard": ["scorecard", "--month", "2017-04", "--params", PARAMS, "--store", str(store.path)],
        "vintages": ["vintages", "--store", str(store.path)],
    }[command]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"cscw: {store.path} ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err and out == ""
    assert store.path.read_bytes() == data
    assert sorted(p.name for p in store.path.parent.glob("store.duckdb*")) == ["store.duckdb"]  # no .wal either


def _without_write_permission() -> list[str]:
    """The command prefix under which permissions hold: root ignores them unless it gives up the capability."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: nothing can be made read-only")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder", "cscw: {store}: the folder {folder} is read-only, and a load writes the store and its journal "
                   "(.wal) there: give --store a file in a folder you can write to; nothing was changed\n"),
        ("file", "cscw: {store} is read-only: make it writable, or give --store another file; nothing was changed\n"),
        ("new folder", "cscw: {new}: the folder {new.parent} cannot be created (Permission denied): give --store a "
                       "file in a folder you can write to\n"),
    ],
)  # fmt: skip
def test_a_store_that_cannot_be_written_is_read_but_never_written(loaded, where, message) -> None:
    store, path = loaded
    folder = store.path.parent / "locked"
    folder.mkdir()
    shutil.move(store.path, folder / store.path.name)
    store, new = Store(folder / store.path.name), folder / "new" / "store.duckdb"
    data = store.path.read_bytes()
    prefix = _without_write_permission()
    locked = store.path if where == "file" else folder
    locked.chmod(0o444 if where == "file" else 0o555)
    try:
        target = Store(new) if where == "new folder" else store
        loading = subprocess.run([*prefix, CSCW, *ingest(target, path)], capture_output=True, text=True, timeout=120)
        reading = subprocess.run([*prefix, CSCW, "vintages", "--store", str(store.path)], capture_output=True,
                                 text=True, timeout=120)  # fmt: skip
    finally:
        locked.chmod(0o644 if where == "file" else 0o755)
    assert loading.returncode == 1
    assert loading.stderr == message.format(store=store.path, folder=folder, new=new)
    assert reading.returncode == 0 and "north.csv" in reading.stdout
    assert store.path.read_bytes() == data
    assert os.listdir(folder) == [store.path.name]


# --- kill -9 and Ctrl-C during a load ---------------------------------------------------------


@pytest.mark.parametrize(
    "moment", ["CREATE SEQUENCE IF", "BEGIN TRANSACTION", "INSERT INTO vintages", "INSERT INTO atoms", "COMMIT"]
)
def test_kill_9_at_any_moment_of_a_load_leaves_earlier_vintages_and_the_scorecard_as_they_were(loaded, moment) -> None:
    store, path = loaded
    before = state(store)
    load = drive(moment, 60, *ingest(store, path))
    wait_for(load, moment)
    load.kill()
    load.wait(timeout=30)
    if moment == "COMMIT":  # committed before the kill: the new vintage is there, whole, and nothing else moved
        vintages = store.vintages()
        assert list(vintages["source"]) == [*before[1]["source"], str(path)]
        assert len(store.latest()) == len(before[0]) + int(vintages["rows"].iloc[-1]) == len(before[0]) + 48
        pd.testing.assert_frame_equal(store.latest(org_units=["North", "South"]), before[0])
    else:
        assert_unchanged(store, before)
    assert main(ingest(store, path)) == 0  # and the store takes the next load


def test_ctrl_c_during_a_load_stores_nothing_in_one_line(loaded) -> None:
    store, path = loaded
    before = state(store)
    load = drive("INSERT INTO atoms", 60, *ingest(store, path))
    wait_for(load, "INSERT INTO atoms")
    load.send_signal(signal.SIGINT)
    _, stderr = load.communicate(timeout=60)  # reads both pipes while waiting: no pipe can fill and block the load
    assert load.returncode == 130
    assert stderr == "cscw: interrupted: nothing was stored\n"
    assert_unchanged(store, before)


# --- Ctrl-C during a pack build ---------------------------------------------------------------

KENT = ROOT / "params" / "examples" / "kent"


@pytest.fixture(scope="module")
def kent_store(tmp_path_factory) -> Path:
    store = Store(tmp_path_factory.mktemp("kent") / "kent.duckdb")
    ingest_aggregates(ROOT / "tests" / "backtest" / "kent_2017_04.csv", load_params(KENT), store)
    return store.path


def _kernels(parent: int) -> set[int]:
    """Kernel processes started by ``parent``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == parent and b"ipykernel" in command:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="finds kernel processes in /proc")
@pytest.mark.parametrize("moment", ["a kernel is starting", "a page is done"])
def test_ctrl_c_during_a_pack_build_stops_its_kernels_and_publishes_nothing(kent_store, tmp_path, moment) -> None:
    out = tmp_path / "outputs"
    previous = out / "2017-04"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("the previous pack", encoding="utf-8")
    build = subprocess.Popen(
        [CSCW, "run", "--month", "2017-04", "--params", str(KENT), "--store", str(kent_store), "--out", str(out),
         "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    kernels: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        kernels |= _kernels(build.pid)
        pages = list(out.glob(".building-*/*.html"))
        if (kernels and moment == "a kernel is starting") or (pages and moment == "a page is done"):
            break
        time.sleep(0.05)
    assert build.poll() is None, "the pack finished before it could be interrupted"
    kernels |= _kernels(build.pid)
    build.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = build.communicate(timeout=60)
    assert time.monotonic() - interrupted < 10  # the pages not started are dropped, not run first
    assert build.returncode == 130
    assert err.splitlines()[-1] == "cscw: interrupted: nothing was published; the previous pack is untouched"
    assert "Traceback" not in err and "Kernel died" not in err
    assert kernels and not [pid for pid in kernels if _alive(pid)]
    # no .building-* folder (beside the pack: its log, and the drawings of the charts drawn before the Ctrl-C)
    assert sorted(p.name for p in out.iterdir() if p.name not in ("2017-04.log", DRAWINGS)) == ["2017-04"]
    log = out / "2017-04.log"  # the run's log, once it had begun building: it says what became of the run
    assert not log.exists() or log.read_text(encoding="utf-8").splitlines()[-1].endswith("nothing was published")
    assert [p.name for p in previous.iterdir()] == ["index.html"]
    assert (previous / "index.html").read_text(encoding="utf-8") == "the previous pack"
