"""Read DfE downloads exactly as published into one long, tidy frame.

Two sources:

- **EES** (Explore Education Statistics) tidy CSVs: one row per time period, geography and
  combination of *filters* (text columns such as ``breakdown`` or ``care_leaver_age``), one
  column per *measure* (numbers and suppression markers). Files come with or without a
  byte-order mark, with their columns in any order, and with old 3-digit and new 9-character LA
  codes. :func:`read_ees` tells measures from filters by their content: a measure column holds
  only numbers and markers, a filter column holds text (``measures=``/``filters=`` override it).
- **LAIT** (the Local Authority Interactive Tool) ``bds_long_0.parquet``: one row per data item
  (``Short Desc``), year label, and LA/region/England (``LA Number``: 970 England, 980-990
  regions, others LAs), values as text. :func:`read_lait` reads it with duckdb.

Both return :data:`LONG_COLUMNS`. A value that cannot be had is NaN with a ``reason``: the
published meaning of the marker (:data:`MARKERS`), or, for an authority that did not exist that
year, the reorganisation (:func:`~csc_workbench.benchmarks.authorities.why_unavailable`). Never a
zero. ``year`` is the year the figure refers to: the year ending 31 March for the CIN census and
SSDA903 measures (EES ``time_period`` 2025 or 202425 -> 2025), the 30 September census of that
year for the social work workforce (:func:`census_month` says which).
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from csc_workbench.benchmarks import authorities

LONG_COLUMNS = [
    "source",
    "dataset",
    "measure",
    "filters",
    "year",
    "level",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "value",
    "reason",
]

#: DfE suppression and not-available markers (GSS symbols, also written in square brackets) and
#: their published meaning: the value becomes NaN with this reason.
MARKERS: dict[str, str] = {
    "c": "suppressed to protect confidentiality (c)",
    "x": "not available (x)",
    "z": "not applicable (z)",
    "low": "fewer than 0.5: rounds to zero but is not zero (low)",
    "k": "rounds to zero but is not zero, e.g. a percentage below 0.5% (k)",
    "~": "rounds to zero but is not zero (~)",
    "u": "low reliability, not published (u)",
    "w": "no data (w)",
    "..": "not available (..)",
    ":": "not available (:)",
    "-": "not available (-: suppressed, not collected or not applicable)",
    "*": "suppressed (*)",
    "na": "not available (NA)",
    "n/a": "not available (n/a)",
    "nan": "not available (NaN)",
}
BLANK = "blank in the published file"

#: EES columns that describe time and geography (never measures or filters).
EES_STANDARD = {
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
}
EES_OTHER_GEOGRAPHY = {
    "lad_code",
    "lad_name",
    "pcon_code",
    "pcon_name",
    "lsip_code",
    "lsip_name",
    "english_devolved_area_code",
    "english_devolved_area_name",
    "local_enterprise_partnership_code",
    "local_enterprise_partnership_name",
    "opportunity_area_code",
    "opportunity_area_name",
    "ward_code",
    "ward_name",
    "rsc_region_lead_name",
    "local_authority_selection_status",
}
LEVELS = {"national": "national", "regional": "regional", "local authority": "la"}

#: LAIT region numbers -> (ONS code, name); 987/988 are Inner and Outer London.
LAIT_REGIONS = {
    "980": "E12000001",
    "981": "E12000002",
    "982": "E12000003",
    "983": "E12000004",
    "984": "E12000005",
    "985": "E12000006",
    "986": "E12000007",
    "987": "E13000001",
    "988": "E13000002",
    "989": "E12000008",
    "990": "E12000009",
}
LAIT_ENGLAND = "970"
#: LAIT ``Year_Type`` -> the month its figures refer to (end of the period).
YEAR_TYPE_MONTH = {
    "financial year": 3,
    "annual": 3,
    "annual (end of sept)": 9,
    "academic year": 8,
    "calendar year": 12,
    "annual - january": 1,
}
_LAIT_WORKFORCE = ("Work_Force", "Social_Work", "Vacancies_cover")
_LABEL_PRIORITY = {"final": 3, "rev": 2, "": 1, "ot": 1, "prov": 0}


# --- values ---------------------------------------------------------------------------------
def parse_values(text: pd.Series) -> pd.DataFrame:
    """Published text -> ``value`` (float, NaN when not a number) and ``reason`` (None, or why).

    Numbers may carry thousands separators or a ``%``; durations written ``years:months``
    (``01:07``, national adoption timeliness) become months (19.0). Markers, blanks and any
    other text become NaN with the reason.
    """
    index, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
    parsed = _parse_distinct(pd.Series([*uniques, None], dtype=object))
    values = parsed["value"].to_numpy(dtype=float)[index]
    reasons = parsed["reason"].to_numpy(dtype=object)[index]
    return pd.DataFrame(
        {"value": pd.Series(values, index=text.index), "reason": pd.Series(reasons, index=text.index, dtype=object)}
    )


def _parse_distinct(text: pd.Series) -> pd.DataFrame:
    raw = text.astype("string")
    stripped = raw.str.strip()
    cleaned = stripped.str.replace(",", "", regex=False).str.replace("%", "", regex=False)
    key = stripped.str.lower().str.strip("[]")
    value = pd.to_numeric(cleaned.where(~key.isin(list(MARKERS))), errors="coerce").astype(float)
    duration = stripped.str.extract(r"^(\d{1,3}):(\d{2})$")
    is_duration = duration[0].notna()
    if is_duration.any():
        value = value.mask(is_duration, duration[0].astype(float) * 12 + duration[1].astype(float))
    reason = key.map(MARKERS).astype(object)
    blank = stripped.isna() | (stripped.fillna("") == "")
    reason = reason.mask(blank, BLANK)
    other = value.isna() & reason.isna()
    reason = reason.mask(other, "not a number: '" + stripped.fillna("") + "'")
    reasons = [r if isinstance(r, str) and v != v else None for r, v in zip(reason, value, strict=True)]
    return pd.DataFrame({"value": value.to_numpy(dtype=float), "reason": pd.Series(reasons, dtype=object)})


def census_month(source: str, dataset: str | None, measure: str, year_types: dict[str, str] | None = None) -> int:
    """The month a measure's yearly figure refers to: 9 (30 September) for the social work
    workforce census, else 3 (year ending 31 March); LAIT's data dictionary decides when given."""
    if year_types and measure in year_types:
        month = YEAR_TYPE_MONTH.get(str(year_types[measure]).strip().lower())
        if month:
            return month
    if source == "ees":
        return 9 if (dataset or "").lower().startswith("csww") else 3
    return 9 if measure.startswith(_LAIT_WORKFORCE) else 3


def latest_period_end(frame: pd.DataFrame) -> date | None:
    """The date the latest year of a long frame (``source``, ``dataset``, ``measure``, ``year``)
    refers to, 31 March or 30 September for the workforce census: the download's as-at."""
    if frame.empty:
        return None
    latest = frame.groupby(["source", "dataset", "measure"], dropna=False)["year"].max()
    return max(
        authorities.period_end(
            int(year), census_month(str(source), dataset if isinstance(dataset, str) else None, measure)
        )
        for (source, dataset, measure), year in latest.items()
    )


def _with_organisation_reasons(frame: pd.DataFrame, months: pd.Series) -> pd.DataFrame:
    """Where an LA has no value because it did not exist that year, say so (over the marker)."""
    missing = (frame["level"] == "la") & frame["value"].isna() & frame["old_la_code"].notna()
    if missing.any():
        why = authorities.organisation_reasons(
            frame.loc[missing, "old_la_code"], frame.loc[missing, "year"], months[missing]
        )
        frame.loc[missing, "reason"] = why.where(why.notna(), frame.loc[missing, "reason"])
    return frame


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[LONG_COLUMNS].reset_index(drop=True)
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    for column in LONG_COLUMNS:
        if column not in ("year", "value"):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


# --- EES ------------------------------------------------------------------------------------
def _read_text_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:  # saved from Excel on Windows
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")


def _clean_header(name: object) -> str:
    return str(name).replace("\ufeff", "").replace("ï»¿", "").strip()


def ees_year(time_period: pd.Series) -> pd.Series:
    """EES ``time_period`` -> year: ``2025`` -> 2025; ``202425`` (2024/25) -> 2025."""
    text = time_period.astype("string").str.strip().str.replace("/", "", regex=False)
    four = text.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    six = text.str.fullmatch(r"\d{6}").fillna(False).astype(bool)
    year = pd.Series(pd.NA, index=text.index, dtype="Int64")
    year[four] = pd.to_numeric(text[four]).astype("Int64")
    year[six] = pd.to_numeric(text[six].str[:4]).astype("Int64") + 1
    return year


def classify_ees_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(measures, filters) of an EES frame read as text: a measure column holds only numbers and
    markers; a filter column holds other text. All-blank columns are neither."""
    measures, filters = [], []
    for column in frame.columns:
        if column.lower() in EES_STANDARD or column.lower() in EES_OTHER_GEOGRAPHY:
            continue
        text = frame[column].astype("string").str.strip()
        text = text[text.fillna("") != ""]
        if text.empty:
            continue
        parsed = parse_values(text)
        is_marker = text.str.lower().str.strip("[]").isin(list(MARKERS))
        (measures if bool((parsed["value"].notna() | is_marker).all()) else filters).append(column)
    return measures, filters


def dataset_key(name: str | None) -> str:
    """An EES file stem without its year range, so a mapping survives a newer download:
    ``csww_indicators_2017_to_2025`` -> ``csww_indicators``."""
    return re.sub(r"_\d{4}_to_\d{4}$", "", str(name or "").strip().lower())


def filters_text(values: dict[str, str]) -> str:
    """The stable text of a set of filters: ``"col=value; col=value"``, columns sorted."""
    return "; ".join(f"{k}={values[k]}" for k in sorted(values))


def parse_filters(text: str | None) -> dict[str, str]:
    """Inverse of :func:`filters_text`."""
    if not text:
        return {}
    return dict(part.split("=", 1) for part in text.split("; "))


def read_ees(path: str | Path, measures: list[str] | None = None, filters: list[str] | None = None) -> pd.DataFrame:
    """One EES tidy CSV as downloaded -> the long frame (:data:`LONG_COLUMNS`).

    ``dataset`` is the file name without ``.csv``. Rows at other geographic levels (districts,
    constituencies, schools) are left out. Jointly published rows ("940 / 941") give one row per
    authority. ``measures``/``filters`` name the columns when the content-based detection
    should not decide.
    """
    path = Path(path)
    raw = _read_text_csv(path)
    raw.columns = [_clean_header(c) for c in raw.columns]
    raw = raw.rename(columns={c: c.lower() for c in raw.columns if c.lower() in EES_STANDARD})
    for needed in ("time_period", "geographic_level"):
        if needed not in raw.columns:
            raise ValueError(f"{path.name}: not an EES tidy file (no {needed} column)")
    for column in EES_STANDARD - set(raw.columns):
        raw[column] = ""
    found_measures, found_filters = classify_ees_columns(raw)
    if measures is not None:
        found_filters = [c for c in found_filters + found_measures if c not in measures]
        found_measures = [c for c in measures if c in raw.columns]
    if filters is not None:
        found_measures = [c for c in found_measures if c not in filters]
        found_filters = [c for c in filters if c in raw.columns]

    level = raw["geographic_level"].str.strip().str.lower().map(LEVELS)
    year = ees_year(raw["time_period"])
    keep = level.notna() & year.notna()
    if (level.notna() & year.isna()).any():
        bad = sorted(set(raw.loc[level.notna() & year.isna(), "time_period"]))
        warnings.warn(f"{path.name}: rows with time_period {bad} left out (not a year)", stacklevel=2)
    raw = raw[keep].copy()
    raw["level"] = level[keep]
    raw["year"] = year[keep]
    text = pd.Series("", index=raw.index, dtype=object)
    for i, column in enumerate(sorted(found_filters)):
        part = column + "=" + raw[column].astype("string").str.strip()
        text = part if i == 0 else text + "; " + part
    raw["filters"] = text.astype(object)
    ids = ["year", "level", "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "filters"]
    long = raw.melt(id_vars=ids, value_vars=found_measures, var_name="measure", value_name="text")
    for column in ("region_code", "region_name", "old_la_code", "new_la_code", "la_name"):
        long[column] = long[column].astype("string").str.strip()
        long[column] = long[column].where(long[column].fillna("") != "")
    long = _expand_joint(long)
    long["old_la_code"] = authorities.normalise_old_codes(long["old_la_code"])
    long["new_la_code"] = long["new_la_code"].str.upper()
    national = long["level"] == "national"
    long.loc[national, ["region_code", "region_name"]] = None
    long.loc[long["level"] != "la", ["old_la_code", "new_la_code", "la_name"]] = None
    long[["value", "reason"]] = parse_values(long["text"])
    long["source"] = "ees"
    long["dataset"] = path.stem
    months = pd.Series(census_month("ees", path.stem, ""), index=long.index)
    return _finish(_with_organisation_reasons(long, months))


def _expand_joint(long: pd.DataFrame) -> pd.DataFrame:
    """ "940 / 941" with "E06000061 / E06000062": one row per authority, the same value."""
    joint = long["old_la_code"].fillna("").str.contains("/", regex=False)
    if not joint.any():
        return long
    part = long[joint].copy()
    for column in ("old_la_code", "new_la_code", "la_name"):
        part[column] = part[column].fillna("").str.split(r"\s*/\s*", regex=True)
    counts = part["old_la_code"].str.len()
    for column in ("new_la_code", "la_name"):
        same = part[column].str.len() == counts
        part[column] = part[column].where(same, part[column].map(lambda v: v[:1]) * counts)
    part = part.explode(["old_la_code", "new_la_code", "la_name"])
    return pd.concat([long[~joint], part], ignore_index=True)


# --- LAIT -----------------------------------------------------------------------------------
def lait_year(label: str) -> tuple[int | None, int]:
    """LAIT ``Years`` label -> (year, priority). ``2025``, ``2018 (Rev)``, ``2020 (Final)``,
    ``2025 (prov)`` -> that year; ``2016-17``, ``2016-17 (OT)``, ``2015/16`` -> 2017/2016 (the year
    the period ends); spans ``2014-16`` and ``2013/14-15/16`` -> their last year (2016).
    Priority prefers Final over Rev over plain over provisional for the same year."""
    text = str(label).strip()
    tag = ""
    found = re.search(r"\(([^)]*)\)\s*$", text)
    if found:
        tag = found.group(1).strip().lower()
        text = text[: found.start()].strip()
    priority = _LABEL_PRIORITY.get(tag, 1)
    match = re.fullmatch(r"(\d{4})", text)
    if match:
        return int(match.group(1)), priority
    match = re.fullmatch(r"(\d{4})(?:/\d{2})?[-/](\d{2})(?:/(\d{2}))?", text)
    if match:
        start = int(match.group(1))
        end = int(match.group(3) or match.group(2))
        year = start - start % 100 + end
        return (year + 100 if year < start else year), priority
    return None, priority


def read_lait_dictionary(path: str | Path) -> pd.DataFrame:
    """``lait_data_dictionary.csv``: measure (Short Desc), title, topic, polarity, year_type, census_month."""
    raw = _read_text_csv(Path(path))
    raw.columns = [_clean_header(c) for c in raw.columns]
    table = pd.DataFrame(
        {
            "measure": raw["Measure_short"].str.strip(),
            "title": raw["Chart_title"].where(raw["Chart_title"].str.strip() != "", raw["Measure"]).str.strip(),
            "topic": raw["Topic"].str.strip(),
            "polarity": raw["Polarity"].str.strip(),
            "year_type": raw["Year_Type"].str.strip(),
        }
    )
    table = table[table["measure"] != ""].drop_duplicates("measure")
    table["census_month"] = table["year_type"].str.lower().map(YEAR_TYPE_MONTH).fillna(3).astype(int)
    return table.reset_index(drop=True)


def read_lait(
    path: str | Path, dictionary: str | Path | None = None, codes: pd.DataFrame | None = None
) -> pd.DataFrame:
    """LAIT ``bds_long_0.parquet`` -> the long frame (:data:`LONG_COLUMNS`), ``dataset`` "lait".

    ``LA Number`` 970 is England, 980-990 the regions (987/988 Inner and Outer London, kept
    with their E13 codes), the rest LAs. New LA codes come from the code lookup (``codes``,
    default the shipped one), by year for North Yorkshire and Somerset. Year labels that are not
    years (``0``) are left out. ``dictionary`` (default: ``lait_data_dictionary.csv`` beside the
    parquet, if there) gives each measure's year type, for the reorganisation reasons.
    """
    path = Path(path)
    con = duckdb.connect()
    try:
        raw = con.execute("select * from read_parquet(?)", [str(path)]).df()
    finally:
        con.close()
    names = {re.sub(r"\s+", " ", c.strip().lower()): c for c in raw.columns}
    try:
        col = {k: names[k] for k in ("short desc", "years", "values", "la number")}
    except KeyError as exc:
        raise ValueError(f"{path.name}: not the LAIT long file (no {exc.args[0]!r} column)") from None
    area = names.get("la and regions")
    region = names.get("region")

    labels = raw[col["years"]].astype(object)
    index, uniques = pd.factorize(labels, use_na_sentinel=True)
    parsed = [lait_year(u) for u in uniques] + [(None, 0)]
    frame = pd.DataFrame(
        {
            "measure": raw[col["short desc"]].astype("string").str.strip(),
            "year": pd.array([parsed[i][0] for i in index], dtype="Int64"),
            "priority": [parsed[i][1] for i in index],
            "code": authorities.normalise_old_codes(raw[col["la number"]]),
            "name": raw[area].astype("string").str.strip() if area else None,
            "region_text": raw[region].astype("string").str.strip() if region else None,
            "text": raw[col["values"]],
        }
    )
    bad = frame["year"].isna()
    if bad.any():
        what = sorted(set(labels[bad].fillna("")))
        warnings.warn(f"{path.name}: {int(bad.sum())} rows with year labels {what} left out", stacklevel=2)
    frame = frame[~bad & frame["code"].notna() & frame["measure"].notna()].copy()
    frame["year"] = frame["year"].astype("int64")
    frame = frame.sort_values("priority", ascending=False, kind="stable")
    frame = frame.drop_duplicates(["measure", "code", "year"]).sort_index()

    is_england = frame["code"] == LAIT_ENGLAND
    is_region = frame["code"].isin(list(LAIT_REGIONS))
    frame["level"] = "la"
    frame.loc[is_england, "level"] = "national"
    frame.loc[is_region, "level"] = "regional"
    la = frame["level"] == "la"
    frame["region_code"] = None
    frame.loc[is_region, "region_code"] = frame.loc[is_region, "code"].map(LAIT_REGIONS)
    frame.loc[la, "region_code"] = frame.loc[la, "region_text"].str.lower().map(authorities.REGION_BY_NAME)
    frame["region_name"] = frame["region_code"].map({**authorities.REGIONS, **authorities.SUBREGIONS})
    frame["old_la_code"] = frame["code"].where(la, None)
    frame["la_name"] = frame["name"].where(la, None)

    year_types = None
    dictionary = Path(dictionary) if dictionary else path.with_name("lait_data_dictionary.csv")
    if dictionary.exists():
        table = read_lait_dictionary(dictionary)
        year_types = dict(zip(table["measure"], table["year_type"], strict=True))
    month_of = {m: census_month("lait", "lait", m, year_types) for m in frame["measure"].unique()}
    months = frame["measure"].map(month_of)
    frame["new_la_code"] = authorities.new_codes_for(frame["old_la_code"], frame["year"], months, codes)
    frame[["value", "reason"]] = parse_values(frame["text"])
    frame["source"] = "lait"
    frame["dataset"] = "lait"
    frame["filters"] = ""
    return _finish(_with_organisation_reasons(frame, months))
