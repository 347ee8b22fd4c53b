"""Build the compact DfE benchmark extract shipped in lib/csc_workbench/reference/.

    python scripts/build_benchmark_extract.py [DOWNLOADS_DIR] [--catalogue FILE ...]

DOWNLOADS_DIR holds the DfE downloads as published (default ../shared/data/dfe): the Explore
Education Statistics CSVs, the LAIT dataset (bds_long_*.parquet, lait_data_dictionary.csv,
la_code_list.xlsx, sn_may_2025.xlsx) and the statistical neighbour files, in any sub-folders.
A council refreshes the shipped files by pointing this at newer downloads (EES file names may
carry a later year range: csww_indicators_2017_to_2026 is found for csww_indicators_2017_to_2025).

Only the measures that the ``benchmark:`` entries of params/catalogue.yml and
params/examples/kent/catalogue.yml (and any --catalogue given) point at are kept, for every LA,
region and England. Writes, each under an Open Government Licence attribution naming the
publications:

- dfe_benchmarks.csv       values as published (numbers and markers), one row per measure and area
- statistical_neighbours.csv  the 2025 model and the 2021 groupings
- la_codes.csv             old and new LA codes, names, regions, dates of reorganisations
- dfe_measures.csv         title, LAIT polarity and period of each measure
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from csc_workbench.benchmarks import authorities, neighbours, shipped, sources  # noqa: E402
from csc_workbench.benchmarks.compute import mapping_values  # noqa: E402
from csc_workbench.config.catalogue import BenchmarkMapping, load_catalogue  # noqa: E402

OUT = ROOT / "lib" / "csc_workbench" / "reference"
CATALOGUES = [ROOT / "params" / "catalogue.yml", ROOT / "params" / "examples" / "kent" / "catalogue.yml"]
#: EES files read for the LA code lookup (besides those the catalogues use), when present.
CODE_SOURCES = ("c1_children_in_need_referrals", "cla_number_and_rate", "csww_indicators", "la_cla_placement_stability")


def find(downloads: Path, pattern: str) -> Path | None:
    """The newest-named file matching ``pattern`` anywhere under ``downloads``."""
    hits = sorted(downloads.rglob(pattern))
    return hits[-1] if hits else None


def ees_files(downloads: Path) -> dict[str, Path]:
    """EES CSVs by dataset key (file stem without its year range)."""
    files: dict[str, Path] = {}
    for path in sorted(downloads.rglob("*.csv")):
        files[sources.dataset_key(path.stem)] = path
    return files


def mappings(catalogues: list[Path]) -> list[tuple[str, BenchmarkMapping]]:
    found = []
    for path in catalogues:
        for indicator in load_catalogue(path).indicators:
            if indicator.benchmark is not None:
                found.append((f"{path.parent.name}/{indicator.id}", indicator.benchmark))
    return found


def build(downloads: Path, catalogues: list[Path], out: Path) -> dict[str, int]:
    wanted = mappings(catalogues)
    files = ees_files(downloads)
    ees_needed = {sources.dataset_key(m.dataset) for _, m in wanted if m.source == "ees"}
    missing = sorted(k for k in ees_needed if k not in files)
    if missing:
        raise SystemExit(f"EES files not found under {downloads}: {', '.join(missing)}")
    ees = {
        key: sources.read_ees(files[key])
        for key in sorted(ees_needed | {k for k in files if k.startswith(CODE_SOURCES)})
    }

    code_list_path = find(downloads, "la_code_list.xlsx")
    code_list = authorities.read_code_list(code_list_path) if code_list_path else None
    codes = authorities.build_la_codes(ees.values(), code_list)

    lait_path = find(downloads, "bds_long_*.parquet")
    dictionary_path = find(downloads, "lait_data_dictionary.csv")
    lait = None
    if any(m.source == "lait" for _, m in wanted):
        if lait_path is None:
            raise SystemExit(f"the LAIT dataset (bds_long_*.parquet) is not under {downloads}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the one LAIT item with year label "0"
            lait = sources.read_lait(lait_path, dictionary_path, codes)

    frame = pd.concat([f for f in [lait, *ees.values()] if f is not None], ignore_index=True)
    parts = []
    for where, mapping in wanted:
        unscaled = mapping.model_copy(update={"scale": 1.0})
        try:
            parts.append(mapping_values(unscaled, frame))
        except ValueError as exc:
            raise SystemExit(f"{where}: {exc}") from None
    selected = pd.concat(parts, ignore_index=True).drop_duplicates(
        ["source", "dataset", "measure", "filters", "level", "region_code", "old_la_code", "year"]
    )

    dictionary = sources.read_lait_dictionary(dictionary_path) if dictionary_path else None
    measures = measure_table(selected, lait_path, dictionary)
    publications = list(measures["publication"])
    inputs = sorted({files[sources.dataset_key(d)].name for d in selected["dataset"].unique() if d != "lait"})
    if lait is not None:
        inputs.append(lait_path.name)

    extract = shipped.to_extract(selected)
    shipped.write_csv(
        extract,
        out / "dfe_benchmarks.csv",
        shipped.attribution(
            publications,
            inputs,
            "One row per measure and area (level; area_code: LA number, region code or E92000001 England); one column "
            "per year (year ending 31 March; 30 September for the workforce census) holding the value as published: "
            "a number or a marker (c suppressed, x not available, z not applicable, low/k rounds to zero, u low "
            "reliability, - not published in LAIT). Empty: not published. Read with "
            "csc_workbench.benchmarks.load_shipped_benchmarks().",
        ),
    )
    shipped.write_csv(
        measures,
        out / "dfe_measures.csv",
        shipped.attribution(publications, inputs, "One row per shipped measure: title, LAIT polarity, year type."),
    )

    sn_2025 = find(downloads, "sn_model_*_wide.csv")
    sn_2021 = find(downloads, "*Statistical_Neighbour_Groupings*.csv")
    sn_xlsx = find(downloads, "sn_may_*.xlsx")
    sn_table = neighbours.build_neighbours(sn_2025, sn_2021, sn_xlsx)
    sn_inputs = [p.name for p in (sn_2025, sn_2021, sn_xlsx) if p is not None]
    shipped.write_csv(
        sn_table,
        out / "statistical_neighbours.csv",
        shipped.attribution(
            [
                "Statistical neighbours: DfE children's services statistical neighbour benchmarking (2025 model; "
                "April 2021 groupings), as published on Explore Education Statistics and in LAIT"
            ],
            sn_inputs,
            "One row per LA, model and rank (1 = closest). The 2025 model from the EES CSV, plus LAIT's lists for "
            "predecessor authorities; the 2021 groupings with their 'Old SNs'.",
        ),
    )
    code_inputs = sorted(
        {p.name for k, p in files.items() if k in ees} | ({code_list_path.name} if code_list_path else set())
    )
    shipped.write_csv(
        codes,
        out / "la_codes.csv",
        shipped.attribution(
            [shipped.publication_of("ees", d) for d in sorted(ees)] + ["Local Authority Interactive Tool (LAIT, DfE)"],
            code_inputs,
            "One row per (old, new) LA code pair; valid_from/valid_to: dates of reorganisations (1 April).",
        ),
    )
    check(out, selected)
    return {
        "measures": len(measures),
        "rows": len(extract),
        "values": len(selected),
        "neighbour rows": len(sn_table),
        "codes": len(codes),
    }


def measure_table(selected: pd.DataFrame, lait_path: Path | None, dictionary: pd.DataFrame | None) -> pd.DataFrame:
    """Title, LAIT polarity, year type and publication of each selected measure."""
    keys = selected[["source", "dataset", "measure", "filters"]].drop_duplicates().reset_index(drop=True)
    titles: dict[str, str] = {}
    if lait_path is not None and (keys["source"] == "lait").any():
        con = duckdb.connect()
        try:
            rows = con.execute(
                'select "Short Desc", max("Data item") from read_parquet(?) group by 1', [str(lait_path)]
            )
            titles = {str(k).strip(): str(v).strip() for k, v in rows.fetchall() if v}
        finally:
            con.close()
    info = dictionary.set_index("measure") if dictionary is not None else pd.DataFrame()
    year_types = info["year_type"].to_dict() if len(info) else None
    rows = []
    for source, dataset, measure, filters in keys.itertuples(index=False):
        lait = source == "lait"
        known = lait and measure in info.index
        rows.append(
            {
                "source": source,
                "dataset": dataset,
                "measure": measure,
                "filters": filters,
                "title": (info.at[measure, "title"] if known else titles.get(measure))
                if lait
                else _ees_title(measure, filters),
                "lait_polarity": info.at[measure, "polarity"] if known else None,
                "year_type": info.at[measure, "year_type"] if known else None,
                "census_month": sources.census_month(source, dataset, measure, year_types),
                "publication": shipped.publication_of(source, dataset, info.at[measure, "topic"] if known else None),
            }
        )
    return pd.DataFrame(rows, columns=shipped.MEASURE_COLUMNS)


def _ees_title(measure: str, filters: str) -> str:
    chosen = [v for v in sources.parse_filters(filters).values() if v.lower() != "total"]
    return measure.replace("_", " ") + (f" ({'; '.join(chosen)})" if chosen else "")


def check(out: Path, selected: pd.DataFrame) -> None:
    """The written extract reads back to the same values and reasons."""
    codes = authorities.read_la_codes(out / "la_codes.csv")
    back = shipped.read_extract(out / "dfe_benchmarks.csv", codes)
    key = ["source", "dataset", "measure", "filters", "level", "region_code", "old_la_code", "year"]
    left = selected.assign(region_code=selected["region_code"].where(selected["level"] == "regional"))
    right = back.assign(region_code=back["region_code"].where(back["level"] == "regional"))
    merged = left.merge(right, on=key, how="outer", suffixes=("", "_back"), indicator=True)
    if (merged["_merge"] != "both").any():
        raise SystemExit(f"extract check: {int((merged['_merge'] != 'both').sum())} rows differ in coverage")
    same_value = (merged["value"] == merged["value_back"]) | (merged["value"].isna() & merged["value_back"].isna())
    same_reason = merged["reason"].fillna("") == merged["reason_back"].fillna("")
    if not (same_value & same_reason).all():
        bad = merged[~(same_value & same_reason)].head()
        raise SystemExit(f"extract check: values differ after reading back:\n{bad}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("downloads", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "dfe")
    parser.add_argument("--catalogue", action="append", type=Path, default=[], help="another catalogue to cover")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: the shipped reference folder)")
    args = parser.parse_args(argv)
    if not args.downloads.is_dir():
        parser.error(f"{args.downloads} is not a folder")
    summary = build(args.downloads, CATALOGUES + args.catalogue, args.out)
    print(", ".join(f"{v} {k}" for k, v in summary.items()))
    for name in ("dfe_benchmarks.csv", "dfe_measures.csv", "statistical_neighbours.csv", "la_codes.csv"):
        print(f"{name}: {(args.out / name).stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
