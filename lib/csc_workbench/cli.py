"""``cscw``: the workbench's command line.

No traceback reaches the user: every error is one line on stderr, ``cscw: <what and what to do>``
(a refused input file lists its bad cells below it), with exit status 2 for input or parameters
refused, 1 for a store that cannot be used or anything else that failed, 130 when interrupted
(Ctrl-C). ``--debug`` (or ``CSCW_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from csc_workbench.config import Params

# Each command imports what it needs when it runs: ``cscw --help`` and ``cscw check`` stay quick
# (pandas, DuckDB, Altair and the notebooks' machinery are loaded only by the commands using them).

DEFAULT_PARAMS = os.environ.get("CSCW_PARAMS", "params")
DEFAULT_STORE = os.environ.get("CSCW_STORE", "data/store.duckdb")


def _debug(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """``--debug`` before or after the command (a command's own default must not hide the global one)."""
    parser.add_argument("--debug", action="store_true", default=default, help="show the traceback of an error")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params folder (authority.yml, catalogue.yml)")
    parser.add_argument("--catalogue", default=None, help="catalogue file (default: PARAMS/catalogue.yml)")
    parser.add_argument("--store", default=DEFAULT_STORE, help="DuckDB store file")
    _debug(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cscw", description="Children's social care performance workbench")
    _debug(parser, default=os.environ.get("CSCW_DEBUG", "") not in ("", "0"))
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="load data into the store as a new vintage")
    sources = ingest.add_subparsers(dest="source", required=True)
    aggregates = sources.add_parser("aggregates", help="aggregate CSV (warehouse extract or manual return)")
    aggregates.add_argument("files", nargs="+", type=Path)
    aggregates.add_argument(
        "--as-at", type=_iso_date, default=None,
        help="the date the figures are as at, YYYY-MM-DD (default: the last day of the file's latest period)",
    )  # fmt: skip
    _common(aggregates)
    annex = sources.add_parser("annex-a", help="Ofsted Annex A extract: a workbook or a folder of CSVs")
    annex.add_argument("path", type=Path)
    annex.add_argument(
        "--as-at", default=None, help="the extract's date, YYYY-MM-DD (default: end of the month of its latest event)"
    )
    annex.add_argument("--from", dest="first_month", default=None, help="first month to compute, YYYY-MM")
    annex.add_argument("--quarantine", default="data/quarantine", help="folder for rows that could not be used")
    annex.add_argument(
        "--empty-is-zero", dest="empty_is_zero", type=_list_number, action="append", default=[], metavar="LIST",
        help="list N truly had no records: count its indicators as 0 (repeatable; without it an empty list's "
        "indicators are 'not available')",
    )  # fmt: skip
    _common(annex)

    bench = sources.add_parser("benchmarks", help="DfE downloads: EES tidy CSVs or the LAIT parquet, as downloaded")
    bench.add_argument("files", nargs="+", type=Path)
    _common(bench)

    benchmarks = commands.add_parser("benchmarks", help="DfE benchmarks of an indicator for a real authority")
    benchmarks.add_argument("--indicator", required=True, help="catalogue indicator id")
    benchmarks.add_argument("--la", default=None, help="LA code, old (886) or new (E10000016); default the authority's")
    benchmarks.add_argument("--year", type=int, default=None, help="year ending 31 March, e.g. 2025")
    benchmarks.add_argument("--model", choices=("auto", "2025", "2021"), default="auto", help="statistical neighbours")
    benchmarks.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _common(benchmarks)

    pack = commands.add_parser("run", help="build the month's offline HTML pack in outputs/<YYYY-MM>/")
    pack.add_argument("--month", required=True, help="YYYY-MM, or 'latest'")
    pack.add_argument("--org-units", nargs="+", default=None, help="default the authority; 'all' for every one")
    pack.add_argument("--areas", nargs="+", default=None, help="areas of the catalogue (default: every area)")
    pack.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: one more than the cores)")
    pack.add_argument("--cohort", default="all", help="cohort for every page, e.g. excl_uasc (default all)")
    pack.add_argument("--images", choices=("all", "authority", "none"), default="authority",
                      help="whose pages get PNG images of their charts (default: the authority's)")  # fmt: skip
    pack.add_argument("--pdf", action="store_true",
                      help="also print the pack as one A4 PDF, a bookmark per page (needs chromium)")  # fmt: skip
    pack.add_argument("--out", type=Path, default=Path("outputs"))
    pack.add_argument("--rebuild", action="store_true",
                      help="run every page again (default: a page whose inputs are unchanged since the month's "
                      "last pack is kept as it was)")  # fmt: skip
    _common(pack)

    demo = commands.add_parser("demo", help="write the synthetic demo county's data (and load it with --ingest)")
    demo.add_argument("--out", default="data/demo", type=Path)
    demo.add_argument("--end-month", default=None, help="last month of data, YYYY-MM (default: last complete month)")
    demo.add_argument("--months", default=36, type=int)
    demo.add_argument("--seed", default=20261124, type=int)
    demo.add_argument("--ingest", action="store_true", help="load the generated data into the store")
    _common(demo)

    card = commands.add_parser("scorecard", help="RAG scorecard for one month")
    card.add_argument("--month", required=True, help="YYYY-MM, or 'latest' for the latest month in the store")
    card.add_argument(
        "--org-unit", action="append", help="org unit (repeatable; 'all' for every one; default the authority)"
    )
    card.add_argument("--cohort", default="all")
    card.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _common(card)

    revisions = commands.add_parser("revisions", help="figures that changed between vintages")
    revisions.add_argument("--since-vintage", type=int, default=None)
    revisions.add_argument("--format", choices=("table", "csv"), default="table")
    _common(revisions)

    vintages = commands.add_parser("vintages", help="list what has been loaded")
    _common(vintages)

    check = commands.add_parser("check", help="validate the params folder and catalogue")
    _common(check)

    commentary = commands.add_parser("commentary", help="commentary from the service: a workbook filled in, loaded")
    steps = commentary.add_subparsers(dest="step", required=True)
    template = steps.add_parser("template", help="write a workbook with a row per red and amber indicator and org unit")
    template.add_argument("--month", required=True, help="YYYY-MM, or 'latest' for the latest month in the store")
    template.add_argument("--org-units", nargs="+", default=None, help="default every org unit ('all')")
    template.add_argument("--out", type=Path, default=None, help="default outputs/commentary_<YYYY-MM>.xlsx")
    template.add_argument("--force", action="store_true", help="replace --out if it exists (it may be filled in)")
    _common(template)
    load = steps.add_parser("load", help="store a filled-in workbook in PARAMS/commentary/<YYYY-MM>.yml")
    load.add_argument("file", type=Path)
    load.add_argument("--month", default=None, help="YYYY-MM the workbook must be for (default: the one it names)")
    _common(load)

    region = commands.add_parser("region", help="a region's councils: each loaded and packed, and the region's pack")
    region_steps = region.add_subparsers(dest="step", required=True)
    region_run = region_steps.add_parser(
        "run", help="load each council's month, build each council's pack with its regional section and the region's"
    )
    region_run.add_argument("--region", type=Path, required=True, help="the region's folder (holding region.yml)")
    region_run.add_argument("--month", required=True, help="YYYY-MM")
    region_run.add_argument(
        "--scheduler", default=None, help="a Dask scheduler's address (tcp://host:8786); default: this machine"
    )
    region_run.add_argument("--workers", type=int, default=None, help="the local cluster's processes (default: cores)")
    _debug(region_run)
    region_demo = region_steps.add_parser("demo", help="write a synthetic region of councils sized as real ones")
    region_demo.add_argument("--out", type=Path, default=Path("data/region"), help="the region folder to write")
    region_demo.add_argument("--councils", type=int, default=10, help="how many councils (up to 153)")
    region_demo.add_argument("--end-month", default=None, help="YYYY-MM (default: last complete month)")
    _debug(region_demo)

    init = commands.add_parser("init", help="write a council's params folder from its LA code (DfE reference)")
    init.add_argument("--la", required=True, help="LA code, old (886) or new (E10000016)")
    init.add_argument("--out", type=Path, default=None, help="params folder to write (default: params/<name>)")
    init.add_argument("--force", action="store_true", help="replace authority.yml and catalogue.yml in --out")
    _debug(init)
    return parser


def _iso_date(text: str) -> date:
    """An argparse type: ``YYYY-MM-DD`` -> date, with a message argparse prints."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def _list_number(text: str) -> int:
    """An argparse type: an Annex A list number, 1 to 11."""
    if text.strip().isdigit() and 1 <= int(text) <= 11:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not an Annex A list number (1 to 11)")


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    import json

    import pandas as pd

    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        print(json.dumps(json.loads(frame.to_json(orient="records")), indent=2))
    else:
        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 250, "display.max_colwidth", 60
        ):
            print(frame.to_string(index=False))


def run(args: argparse.Namespace) -> int:
    if args.command == "init":
        return _init(args)
    if args.command in ("vintages", "revisions"):
        from csc_workbench.store.atoms import Store

        store = Store(args.store)
        if args.command == "revisions":
            _print_frame(store.revisions(args.since_vintage), args.format)
        else:
            vintages = store.vintages()
            _print_frame(vintages.assign(loaded_at=vintages["loaded_at"].dt.floor("s")), "table")
        return 0
    if args.command == "run":  # it reads the params itself, once its first kernel is starting
        return _run(args)
    if args.command == "region":
        return _region(args)
    from csc_workbench.config import load_params

    params = load_params(args.params, args.catalogue)
    commands: dict[str, Callable[[argparse.Namespace, Params], int]] = {
        "check": _check, "benchmarks": _benchmarks, "demo": _demo, "scorecard": _scorecard,
        "ingest": _ingest, "commentary": _commentary,
    }  # fmt: skip
    return commands[args.command](args, params)


def _check(args: argparse.Namespace, params: Params) -> int:
    from csc_workbench.measures.annex_a import check_measures

    catalogue, authority = params.catalogue, params.authority
    check_measures(catalogue, str(args.catalogue or Path(args.params) / "catalogue.yml"))
    from_annex_a = sum(indicator.measure is not None for indicator in catalogue.indicators)
    print(
        f"{catalogue.name}: {len(catalogue.indicators)} indicators in {len(catalogue.areas)} areas, "
        f"{from_annex_a} of them computed from Annex A"
    )
    print(f"{authority.name}: {len(authority.org_unit_names)} org units")
    return 0


def _ingest(args: argparse.Namespace, params: Params) -> int:
    from csc_workbench.store.atoms import Store

    store = Store(args.store)
    if args.source == "aggregates":
        from csc_workbench.ingest.aggregates import ingest_aggregates

        return _load_each(args, lambda path: str(ingest_aggregates(path, params, store, args.as_at)))
    if args.source == "benchmarks":
        from csc_workbench.benchmarks.sources import read_ees, read_lait

        def load_benchmarks(path: Path) -> str:
            frame = read_lait(path) if path.suffix.lower() == ".parquet" else read_ees(path)
            vintage = store.add_benchmarks(frame, str(path))
            unavailable = int(frame["value"].isna().sum())
            return (
                f"{path}: {len(frame):,} figures ({frame['measure'].nunique()} measures, "
                f"{unavailable:,} not available with their reason) stored as vintage {vintage}"
            )

        return _load_each(args, load_benchmarks)
    from csc_workbench.load import load_annex_a
    from csc_workbench.periods import parse_month

    first = parse_month(args.first_month) if args.first_month else None
    report = load_annex_a(
        args.path, params, store, args.as_at, first, args.quarantine, empty_is_zero=args.empty_is_zero
    )
    print(report)
    return 0


def _run(args: argparse.Namespace) -> int:
    # This process validates no IRI: jsonschema (imported by nbformat and Altair) goes without its
    # optional IRI grammar, whose building took a second of the pack's start (as in its kernels).
    sys.modules.setdefault("rfc3987_syntax", None)
    from csc_workbench.pack.kernels import DRAWINGS, WarmKernels

    # charts drawn as in an earlier run are taken from its drawings (--rebuild: every one drawn again)
    with WarmKernels(drawings=None if args.rebuild else Path(args.out) / DRAWINGS) as kernels:
        kernels.prestart()  # the first page's kernel starts while the rest is imported and the parameters checked
        from csc_workbench.pack.run import build_pack

        result = build_pack(
            args.month,
            args.params,
            args.store,
            args.out,
            args.org_units,
            args.areas,
            args.jobs,
            cohort=args.cohort,
            images=args.images,
            catalogue=args.catalogue,
            pdf=args.pdf,
            rebuild=args.rebuild,
            kernels=kernels,
        )
    print(f"pack {result.month}: {len(result.pages)} pages in {result.timings['total']:.1f} s -> {result.index}")
    if result.pdf is not None:
        print(f"PDF: {sum(p.pages for p in result.pdf_pages)} A4 pages, a bookmark per page -> {result.pdf}")
    for failure in result.failures:
        print(f"FAILED {failure.page.title}: {failure.error}", file=sys.stderr)
    return 1 if result.failures else 0


def _region(args: argparse.Namespace) -> int:
    if args.step == "demo":
        from csc_workbench.demo.region import generate_region
        from csc_workbench.periods import month_text, parse_month

        end = args.end_month or month_text(parse_month(date.today().strftime("%Y-%m")) - 1)
        folder = generate_region(args.out, args.councils, end).parent
        print(f"{args.councils} synthetic councils to {end} -> {folder}; run: cscw region run --region {folder} "
              f"--month {end}")  # fmt: skip
        return 0
    from csc_workbench.config.region import load_region
    from csc_workbench.pack.region import run_region

    region = load_region(args.region)
    result = run_region(region, args.month, args.scheduler, args.workers, say=lambda text: print(text, file=sys.stderr))
    for council in result.councils:
        if council.ok:
            print(f"{council.council}: {council.pages} pages -> {council.pack}")
        elif council.error:
            print(f"FAILED {council.council} ({council.stage}): {council.error}", file=sys.stderr)
        else:
            print(f"{council.council}: {len(council.failed_pages)} of {council.pages} pages FAILED -> {council.pack}",
                  file=sys.stderr)  # fmt: skip
    print(f"region {region.name}, {args.month}: {len(result.councils) - len(result.failures)} of "
          f"{len(result.councils)} councils complete in {result.timings['total']:.0f} s -> {result.pack}")  # fmt: skip
    return 1 if result.failures else 0


def _scorecard(args: argparse.Namespace, params: Params) -> int:
    from csc_workbench.assess.scorecard import rag_counts, scorecard
    from csc_workbench.periods import month_text
    from csc_workbench.present.tables import format_scorecard
    from csc_workbench.store.atoms import Store

    store = Store(args.store)
    month = month_text(store.latest_month()) if args.month == "latest" else args.month
    units = params.authority.org_unit_names if args.org_unit == ["all"] else args.org_unit
    frame = scorecard(store, params, month, units, args.cohort)
    if args.format != "table":
        _print_frame(frame, args.format)
        return 0
    if params.authority.synthetic:
        print(f"*** SYNTHETIC DEMO DATA: {params.authority.name} is fictional ***")
    for org, part in frame.groupby("org_unit", sort=False):
        counts = rag_counts(part)
        print(f"Scorecard - {org} - {month} - cohort {args.cohort}")
        _print_frame(format_scorecard(part).drop(columns="org_unit"), "table")
        print(f"GREEN {counts['green']}  AMBER {counts['amber']}  RED {counts['red']}\n")
    return 0


def _load_each(args: argparse.Namespace, load: Callable[[Path], str]) -> int:
    """Load ``args.files`` one by one, each its own vintage: a refused file stores nothing and the
    next is still loaded; with several files, a last line says which were stored and which refused.
    ``args.stored`` keeps the files stored so far (for the message if the load is interrupted)."""
    from csc_workbench.config.errors import InputError

    args.stored, refused = [], []
    for path in args.files:
        try:
            print(load(path))
        except (InputError, ValueError, FileNotFoundError) as exc:  # this file's fault: the others go on
            print(f"cscw: {_message(exc)[1]}", file=sys.stderr)
            refused.append(path)
        else:
            args.stored.append(path)
    if len(args.files) > 1:
        stored = ", ".join(map(str, args.stored)) or "none"
        print(
            f"{len(args.files)} files: stored {stored}; refused {', '.join(map(str, refused)) or 'none'}",
            file=sys.stderr if refused else sys.stdout,
        )
    return 2 if refused else 0


def _benchmarks(args: argparse.Namespace, params: Params) -> int:
    from csc_workbench.assess.benchmarking import indicator_benchmark_table
    from csc_workbench.store.atoms import Store

    if args.indicator not in params.catalogue:
        raise KeyError(f"unknown indicator {args.indicator!r}")
    store = Store(args.store) if Path(args.store).exists() else None
    years = [args.year] if args.year else None
    table = indicator_benchmark_table(params, args.indicator, args.la, years, args.model, store)
    if table is None:
        print(f"{args.indicator}: DfE publishes no equivalent (no benchmark: entry in the catalogue)")
        return 0
    if args.format != "table":
        _print_frame(table.drop(columns=["sn", "sn_missing"], errors="ignore"), args.format)
        return 0
    first = table.iloc[0]
    print(f"{params.catalogue[args.indicator].title}")
    print(f"{first['la_name']} ({first['la_code']}); DfE {first['benchmark_source']} {first['benchmark_measure']}")
    if first["benchmark_note"]:
        print(f"note: {first['benchmark_note']}")
    columns = {
        "period": "year", "la_value": "LA", "sn_average": "SN avg", "best_sn_value": "best SN",
        "best_sn_name": "best SN is", "regional": "region", "national": "England", "q1": "Q1", "median": "median",
        "q3": "Q3", "top_quartile_threshold": "top quartile from", "rank": "rank", "rank_of": "of",
        "quartile": "quartile", "sn_model": "SN model", "la_reason": "not available because",
    }  # fmt: skip
    _print_frame(table[[c for c in columns if c in table]].rename(columns=columns), "table")
    if args.year:
        for neighbour in first["sn"]:
            value = "-" if neighbour["value"] is None else f"{neighbour['value']:g}"
            print(f"  SN {neighbour['rank']}: {neighbour['la_name']}: {value} {neighbour['reason'] or ''}")
    return 0


def _commentary(args: argparse.Namespace, params: Params) -> int:
    """``commentary template``: the month's workbook for the service; ``commentary load``: a filled-in one stored."""
    if args.step == "load":
        from csc_workbench.config.commentary_workbook import load_commentary_workbook

        print(load_commentary_workbook(args.file, params, args.month))
        return 0
    from csc_workbench.assess.series import report_month
    from csc_workbench.present.commentary_workbook import write_commentary_template
    from csc_workbench.store.atoms import Store

    store = Store(args.store)
    month = report_month(store, args.month)
    out = args.out or Path("outputs") / f"commentary_{month}.xlsx"
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists (it may be a filled-in copy): give another --out, or --force to replace it")
    units = None if args.org_units in (None, ["all"]) else args.org_units
    print(write_commentary_template(store, params, month, out, units))
    return 0


def _init(args: argparse.Namespace) -> int:
    from csc_workbench.new_council import default_folder, find_council, write_params

    council = find_council(args.la)
    out = args.out or default_folder(council)
    write_params(council, out, args.force, command=f"cscw init --la {args.la}")
    population = f"{council.population[0]:,} (ONS mid-{council.population[1]})" if council.population else "none"
    print(f"{council.name} (LA {council.old_code}, {council.new_code}), {council.region_name}: params written to {out}")
    print(f"  authority.yml  codes, report metadata and the org tree TO FILL IN; {len(council.neighbours)} "
          f"statistical neighbours and the population 0-17, {population}, in its comments")  # fmt: skip
    print("  catalogue.yml  the standard catalogue: set your targets and RAG bands (docs/catalogue.md)")
    print("  commentary/    commentary per month, <YYYY-MM>.yml")
    print(f"next: cscw check --params {out}   (or export CSCW_PARAMS={out})")
    return 0


def _demo(args: argparse.Namespace, params: Params) -> int:
    import time

    from csc_workbench.demo import DemoConfig, generate_demo
    from csc_workbench.load import load_demo
    from csc_workbench.periods import month_text, parse_month
    from csc_workbench.store.atoms import Store

    end = args.end_month or month_text(parse_month(date.today().strftime("%Y-%m")) - 1)
    started = time.perf_counter()
    files = generate_demo(args.out, params, DemoConfig(end_month=end, months=args.months, seed=args.seed))
    print(
        f"SYNTHETIC demo county written to {files.root} in {time.perf_counter() - started:.1f} s "
        f"({args.months} months to {end}, seed {args.seed})"
    )
    if args.ingest:
        started = time.perf_counter()
        for line in load_demo(files, params, Store(args.store)):
            print(line)
        print(f"loaded into {args.store} in {time.perf_counter() - started:.1f} s")
        print(f"next: cscw scorecard --month {end}")
    return 0


def _message(exc: Exception) -> tuple[int, str]:
    """(exit status, message) for an error that ends a command."""
    from csc_workbench.config.errors import WorkbenchError
    from csc_workbench.store.atoms import StoreError

    duckdb = sys.modules.get("duckdb")  # loaded by every command that can raise its errors
    if isinstance(exc, StoreError):
        return 1, str(exc)
    if isinstance(exc, WorkbenchError | ValueError | FileNotFoundError):
        return 2, str(exc)
    if isinstance(exc, KeyError):
        return 2, str(exc.args[0] if exc.args else exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return 1, f"{where}{exc.strerror or exc}: check the path and its permissions"
    if duckdb is not None and isinstance(exc, duckdb.Error):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return 1, f"the store could not be read or written ({first}); run again with --debug to see where"
    return 1, f"unexpected error ({type(exc).__name__}: {exc}); run again with --debug to see where, and report it"


def _interrupted(args: argparse.Namespace) -> str:
    """What an interrupted command leaves behind, in one line."""
    if args.command == "run":
        return "interrupted: nothing was published; the previous pack is untouched"
    if args.command == "demo":
        return "interrupted: loads that had finished are kept (cscw vintages lists them); nothing else was stored"
    if args.command != "ingest":
        return "interrupted"
    stored = getattr(args, "stored", [])
    if stored:
        return f"interrupted: nothing more was stored; stored before: {', '.join(map(str, stored))}"
    return "interrupted: nothing was stored"


def _interrupt(exc: BaseException) -> bool:
    """Ctrl-C: Python's, or DuckDB's when it stopped a query (DuckDB is loaded by then)."""
    duckdb = sys.modules.get("duckdb")
    return isinstance(exc, KeyboardInterrupt) or (duckdb is not None and isinstance(exc, duckdb.InterruptException))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (KeyboardInterrupt, Exception) as exc:
        if args.debug:
            raise
        if _interrupt(exc):
            print(f"cscw: {_interrupted(args)}", file=sys.stderr)
            return 130
        status, message = _message(exc)
        print(f"cscw: {message}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
