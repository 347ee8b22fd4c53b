"""Windows derived from monthly atoms: in-month, snapshot, rolling 3 and 12 months, financial
year to date and the latest complete quarter.

A derived window sums the monthly numerators and divides by the summed denominators (a rate per
10,000 divides by the population of the last month instead). A window that cannot be derived is
"not available" with the reason, never zero: a month missing, a month marked unavailable, a
denominator of zero, or a window that does not apply (a snapshot has no rolling window).
A window supplied as such (for example a warehouse's R12M figure) is used as given.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from csc_workbench.config.catalogue import Catalogue
from csc_workbench.periods import first_month_of_financial_year, month_label
from csc_workbench.store.atoms import KEY

DERIVED = ("r3m", "r12m", "fytd", "quarter")

#: status of a window value
OK, UNAVAILABLE, MISSING, NOT_APPLICABLE = "ok", "unavailable", "missing", "not applicable"

RESULT_COLUMNS = ["numerator", "denominator", "value", "status", "note"]


def window_span(window: str, end: int) -> tuple[int, int]:
    """First and last month a window covers when it is reported for month ``end``."""
    if window in ("month", "snapshot"):
        return end, end
    if window == "r3m":
        return end - 2, end
    if window == "r12m":
        return end - 11, end
    if window == "fytd":
        return first_month_of_financial_year(end), end
    if window == "quarter":
        quarter_end = end - ((end % 12 - 2) % 3)  # Mar, Jun, Sep, Dec end financial quarters
        return quarter_end - 2, quarter_end
    raise ValueError(f"unknown window {window!r}")


def _indicator_facts(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": [i.id for i in catalogue.indicators],
            "_stock": [i.is_stock for i in catalogue.indicators],
            "_scale": [np.nan if i.scale is None else i.scale for i in catalogue.indicators],
            "_sum_den": [i.sums_denominator for i in catalogue.indicators],
        }
    )


def _value(numerator: pd.Series, denominator: pd.Series, scale: pd.Series) -> pd.Series:
    """Scale * numerator / denominator; counts (no scale) are the numerator itself."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = scale * numerator / denominator.where(denominator != 0)
    return ratio.where(scale.notna(), numerator)


def gap_table(gaps: Mapping[tuple[str, int], str]) -> pd.DataFrame:
    """Months marked unavailable in params, as (indicator or '*', period, reason)."""
    return pd.DataFrame(
        [(ind, month, reason) for (ind, month), reason in gaps.items()],
        columns=["indicator", "period", "_gap"],
    )


def window_values(
    atoms: pd.DataFrame,
    requests: pd.DataFrame,
    catalogue: Catalogue,
    gaps: Mapping[tuple[str, int], str] | None = None,
) -> pd.DataFrame:
    """Value of each requested (indicator, org_unit, cohort, period, window).

    ``atoms`` are the latest atoms (store columns); ``gaps`` maps (indicator or "*", month) to
    the reason a month is unavailable. Returns ``requests`` with numerator, denominator, value,
    status (ok / unavailable / missing / not applicable) and a note saying why.
    """
    requests = requests.reset_index(drop=True)
    facts = _indicator_facts(catalogue)
    req = requests[KEY].merge(facts, on="indicator", how="left")
    gap_frame = gap_table(gaps or {})

    atoms = atoms[[*KEY, "numerator", "denominator", "value", "unavailable_reason"]]
    if atoms.duplicated(KEY).any():
        raise ValueError("window_values: the atoms hold the same key more than once (pass the latest vintage only)")
    supplied = req[KEY].merge(atoms, on=KEY, how="left", indicator="_found")
    found = (supplied["_found"] == "both").to_numpy()
    out = pd.DataFrame(index=req.index, columns=RESULT_COLUMNS, dtype=object)
    out[["numerator", "denominator", "value"]] = np.nan
    out = out.astype({"numerator": float, "denominator": float, "value": float})

    # 1. supplied atoms, as given (after params gaps, which overrule any figure for the month)
    reason = supplied["unavailable_reason"].where(found)
    gap_reason = _gap_reasons(req, gap_frame, req["period"])
    reason = gap_reason.combine_first(reason)
    has_fig = found & reason.isna().to_numpy()
    for col in ("numerator", "denominator", "value"):
        out.loc[has_fig, col] = supplied.loc[has_fig, col].to_numpy()
    needs_value = has_fig & out["value"].isna().to_numpy()
    computed = _value(out["numerator"], out["denominator"], req["_scale"])
    out.loc[needs_value, "value"] = computed[needs_value]
    out.loc[has_fig, "status"] = OK
    unavailable = reason.notna().to_numpy()
    out.loc[unavailable, "status"] = UNAVAILABLE
    out.loc[unavailable, "note"] = [
        f"{month_label(int(p))} not available: {r}"
        for p, r in zip(req["period"][unavailable], reason[unavailable], strict=True)
    ]

    pending = ~(has_fig | unavailable)
    derivable = pending & req["window"].isin(DERIVED).to_numpy()
    stock = req["_stock"].fillna(False).to_numpy(dtype=bool)
    not_applicable = derivable & stock
    out.loc[not_applicable, "status"] = NOT_APPLICABLE
    out.loc[not_applicable, "note"] = [
        f"a snapshot measure has no {w} window" for w in req.loc[not_applicable, "window"]
    ]
    derivable &= ~stock

    single = pending & ~req["window"].isin(DERIVED).to_numpy()
    out.loc[single, "status"] = MISSING
    out.loc[single, "note"] = [f"no figure for {month_label(int(p))}" for p in req.loc[single, "period"]]

    if derivable.any():
        derived = _derive(req[derivable], atoms, gap_frame)
        out.loc[derivable, RESULT_COLUMNS] = derived[RESULT_COLUMNS].to_numpy()
    result = pd.concat([requests, out], axis=1)
    return result.astype({"numerator": float, "denominator": float, "value": float})


def _gap_reasons(frame: pd.DataFrame, gap_frame: pd.DataFrame, periods: pd.Series) -> pd.Series:
    """Reason from params gaps for each row's (indicator, month), or NaN."""
    if gap_frame.empty:
        return pd.Series(np.nan, index=frame.index, dtype=object)
    keyed = pd.DataFrame({"indicator": frame["indicator"].to_numpy(), "period": periods.to_numpy()})
    specific = keyed.merge(gap_frame, on=["indicator", "period"], how="left")["_gap"]
    general = keyed.assign(indicator="*").merge(gap_frame, on=["indicator", "period"], how="left")["_gap"]
    return pd.Series(specific.combine_first(general).to_numpy(), index=frame.index, dtype=object)


def _derive(req: pd.DataFrame, atoms: pd.DataFrame, gap_frame: pd.DataFrame) -> pd.DataFrame:
    """Sum the monthly flows of each requested window."""
    req = req.copy()
    spans = [window_span(w, p) for w, p in zip(req["window"], req["period"], strict=True)]
    req["_first"] = [s[0] for s in spans]
    req["_len"] = [s[1] - s[0] + 1 for s in spans]
    req["_rid"] = np.arange(len(req))
    expanded = req.loc[req.index.repeat(req["_len"])]
    offsets = expanded.groupby("_rid").cumcount().to_numpy()
    expanded = expanded.assign(_month=expanded["_first"].to_numpy() + offsets)

    monthly = atoms[atoms["window"] == "month"].rename(columns={"period": "_month"})
    joined = expanded[["_rid", "indicator", "org_unit", "cohort", "_month", "_scale", "_sum_den"]].merge(
        monthly.drop(columns="window"), on=["indicator", "org_unit", "cohort", "_month"], how="left"
    )
    joined["_gap"] = _gap_reasons(joined, gap_frame, joined["_month"]).combine_first(joined["unavailable_reason"])
    counts = joined["_scale"].isna()
    usable = joined["_gap"].isna() & joined["numerator"].notna() & (counts | joined["denominator"].notna())
    joined["_usable"] = usable
    joined["_missing_month"] = np.where(~usable & joined["_gap"].isna(), joined["_month"], np.nan)
    joined["_gap_month"] = np.where(joined["_gap"].notna(), joined["_month"], np.nan)

    grouped = joined.groupby("_rid", sort=True)
    numerator = grouped["numerator"].sum(min_count=1)
    den_sum = grouped["denominator"].sum(min_count=1)
    den_last = grouped["denominator"].last()
    n_usable = grouped["_usable"].sum()
    first_gap = grouped["_gap_month"].min()
    gap_text = joined.dropna(subset=["_gap"]).groupby("_rid")["_gap"].first()
    missing_months = joined.dropna(subset=["_missing_month"]).groupby("_rid")["_missing_month"].agg(list)

    result = pd.DataFrame(index=req["_rid"])
    scale = pd.Series(req["_scale"].to_numpy(), index=result.index)
    sum_den = pd.Series(req["_sum_den"].to_numpy(dtype=bool), index=result.index)
    result["numerator"] = numerator
    result["denominator"] = den_sum.where(sum_den, den_last).where(scale.notna())
    result["value"] = _value(result["numerator"], result["denominator"], scale)
    complete = n_usable.reindex(result.index).to_numpy() == req["_len"].to_numpy()
    result["status"] = np.where(complete, OK, MISSING)
    result["note"] = None

    has_gap = first_gap.reindex(result.index).notna().to_numpy()
    gap_notes = [
        f"covers {month_label(int(m))}, which is not available: {t}"
        for m, t in zip(first_gap.reindex(result.index)[has_gap], gap_text.reindex(result.index)[has_gap], strict=True)
    ]
    result.loc[has_gap, "status"] = UNAVAILABLE
    result.loc[has_gap, "note"] = gap_notes

    lacking = ~complete & ~has_gap
    notes = []
    for rid in result.index[lacking]:
        months = missing_months.get(rid, [])
        listed = ", ".join(month_label(int(m)) for m in months[:3])
        more = len(months) - 3
        tail = f" and {more} more month{'s' if more > 1 else ''}" if more > 0 else ""
        notes.append(f"no figure for {listed}{tail}")
    result.loc[lacking, "note"] = notes

    zero_den = complete & (result["denominator"] == 0).to_numpy()
    result.loc[zero_den, "status"] = MISSING
    result.loc[zero_den, "note"] = "denominator is zero"
    bad = result["status"].to_numpy() != OK
    result.loc[bad, ["numerator", "denominator", "value"]] = np.nan
    return result.reset_index(drop=True)
