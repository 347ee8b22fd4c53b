"""Comparing the councils of a region, month by month: ranks, quartiles, the region as a whole,
funnel plots, small-number suppression and anonymous labels.

Each council contributes its authority-level monthly atoms; in the regional store ``org_unit``
holds the council's name. Every function here is pure (frames in, frames out).

**Each council's figure** is its headline value (the indicator's headline window, e.g. the
rolling 12 months), worked out exactly as for a council's own pack
(:func:`csc_workbench.assess.windows.window_values`), so a council sees the same number in the
regional comparison as in its own report. A month without a figure keeps its status and the
reason; it is never taken as zero.

**Ranks and quartiles.** Rank 1 is the best council by the indicator's polarity (higher is better,
or lower is better); councils with the same value share the better rank (1, 2, 2, 4). Only
councils with a figure that month are ranked. Indicators without a better direction (a target,
a range, or monitoring only) are not ranked: being "first" on them would mean nothing. The
quartile is worked out from the rank among the ``ranked`` councils, quartile = ceil(4 x rank /
ranked): with ten councils ranks 1-2 are quartile 1 (the best quarter), 3-5 quartile 2, 6-7
quartile 3 and 8-10 quartile 4; the best council is in quartile 1 and the worst (unless tied) in
quartile 4. Councils tied on a boundary share the better quartile. With fewer than four councils
ranked there are no quarters to speak of, so no quartile is given. With a handful of councils a
rank moves a lot on small changes, which is why the funnel plot below is the fairer comparison.

**The region as a whole** is not the average of the councils' percentages. For a percentage or a
rate it pools the councils: 100 (10,000 for a rate per 10,000) x (all councils' numerators) / (all
councils' denominators), so a large council counts for more, as its children do; the ``mean`` of the
council values (each council counting once) is shown next to it. For a count the regional figure is
the mean count per council (a sum would grow with the number of councils taking part); for an
average (e.g. a caseload) it is the total over the total. The quartiles of the council values
(``q1``, ``median``, ``q3``) use pandas' default linear interpolation.

**Funnel plots** (Spiegelhalter 2005, "Funnel plots for comparing institutional performance",
Statistics in Medicine 24:1185-1202) show each council's figure against its size. Chance alone
moves a small council's percentage much more than a large one's, so the limits widen as the
denominator falls, into a funnel around the regional figure. A council outside the 95% limits
would be there by chance about one time in twenty if it truly performed like the region; outside
the 99.8% limits about one time in five hundred. With ten councils and dozens of indicators some
councils will fall outside the 95% limits by chance, so the 99.8% limits are the ones to act on.

The limits are exact, not the normal approximation (the value +/- 1.96 or 3.09 standard errors): the
number of children meeting a measure follows a binomial distribution (a percentage) or a Poisson
distribution (a rate per 10,000 children), which for small denominators is lopsided and bounded by 0
(and a percentage by 100); the normal approximation makes the funnel symmetric, too narrow on the
side of the longer tail and often below zero. Following the paper's appendix, for a limit at
probability ``p`` (0.975 and 0.999 for the upper 95% and 99.8% limits, 0.025 and 0.001 for the lower
ones) and a denominator ``n``: ``r`` is the smallest count whose cumulative probability reaches
``p``, and the limit is ``(r - alpha) / n`` times the scale, where
``alpha = (P(R <= r) - p) / P(R = r)`` interpolates between whole counts so that the funnel is
smooth. For a large denominator the exact limits approach the normal ones.

**Small numbers.** DfE suppresses small counts in its publications so that no child can be
identified; :func:`suppress_small_counts` does the same before figures are shared outside a
council (zeros are published). **Labels.** A council may share its figures with the region
without the others' names: :func:`council_labels` calls them "Council A", "Council B", ... in an
order that gives away neither their size, their rank nor their name.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config.catalogue import Catalogue, Polarity
from csc_workbench.store.atoms import KEY

#: Columns of :func:`council_values`.
VALUE_COLUMNS = ["indicator", "council", "period", "numerator", "denominator", "value", "status", "note"]

#: Columns of :func:`regional_summary`.
SUMMARY_COLUMNS = ["indicator", "period", "councils", "regional", "mean", "q1", "median", "q3", "best", "worst"]

#: Columns of :func:`funnel_limits`, in the indicator's units.
LIMIT_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998"]

#: Where a council's figure lies in the funnel, as :func:`funnel_positions` says it.
ABOVE_998 = "above the 99.8% limit"
ABOVE_95 = "above the 95% limit"
WITHIN = "within the limits"
BELOW_95 = "below the 95% limit"
BELOW_998 = "below the 99.8% limit"

#: Whether a larger value is better (True), a smaller one (False); polarities not listed have no
#: better direction and are neither ranked nor given a best or worst council.
LARGER_IS_BETTER = {Polarity.HIGH: True, Polarity.LOW: False}

#: Quartiles need a council in each quarter: with fewer ranked, a council gets no quartile.
MIN_COUNCILS_FOR_QUARTILES = 4

FunnelKind = Literal["binomial", "poisson"]


def council_values(
    atoms: pd.DataFrame,
    catalogue: Catalogue,
    indicator_ids: list[str],
    months: list[int],
    cohort: str = "all",
    gaps: Mapping[tuple[str, int], str] | None = None,
) -> pd.DataFrame:
    """Each council's headline value of each indicator in each month.

    ``atoms`` are the regional store's latest atoms (``org_unit`` is the council); every council
    found in them gets a row for every indicator and month, a figure or the reason there is none.
    An indicator fixed to a cohort uses that cohort, the others ``cohort``. ``gaps`` maps
    (indicator or "*", month) to why a month is unavailable. Returns :data:`VALUE_COLUMNS`:
    indicator, council, period, numerator, denominator, value, status (ok / unavailable / missing /
    not applicable) and note.
    """
    councils = sorted(atoms["org_unit"].unique())
    requests = pd.DataFrame(
        [
            {"indicator": ind.id, "org_unit": council, "cohort": ind.cohort or cohort, "period": month,
             "window": ind.headline_window}
            for ind in (catalogue[i] for i in indicator_ids) for council in councils for month in months
        ],
        columns=KEY,
    )  # fmt: skip
    values = window_values(atoms, requests, catalogue, gaps)
    return values.rename(columns={"org_unit": "council"})[VALUE_COLUMNS].reset_index(drop=True)


def _has_figure(values: pd.DataFrame) -> pd.Series:
    """Rows with a usable value: status ok and a value (not suppressed)."""
    return (values["status"] == OK) & values["value"].notna()


def rank_councils(values: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """``values`` (:func:`council_values`) with each council's place among the region's councils.

    Adds ``rank`` (1 = best by the indicator's polarity; ties share the better rank, 1, 2, 2, 4;
    NaN where the council has no figure or the indicator has no better direction), ``ranked``
    (how many councils were ranked on the indicator that month; 0 for an indicator without a
    better direction) and ``quartile`` (ceil(4 x rank / ranked): 1 = the best quarter, 4 = the
    worst; NaN where there is no rank or fewer than four councils were ranked).
    """
    result = values.copy()
    polarity = {i: catalogue[i].polarity for i in values["indicator"].unique()}
    # one ascending ranking for both directions: where larger is better, rank the negated values
    sign = values["indicator"].map(lambda i: {True: -1.0, False: 1.0}.get(LARGER_IS_BETTER.get(polarity[i])))
    rankable = _has_figure(values) & sign.notna()
    sort_key = (sign * values["value"]).where(rankable)
    groups = [values["indicator"].to_numpy(), values["period"].to_numpy()]  # by position, whatever the index
    result["rank"] = sort_key.groupby(groups).rank(method="min", ascending=True)
    result["ranked"] = rankable.groupby(groups).transform("sum").astype(int)
    quartered = result["ranked"].where(result["ranked"] >= MIN_COUNCILS_FOR_QUARTILES)
    result["quartile"] = np.ceil(4 * result["rank"] / quartered)
    return result


def _pooled(rows: pd.DataFrame, scale: float | None) -> float:
    """The region as a whole: scale x total numerator / total denominator; for a count (no
    scale) the mean per council. NaN when a council's figure cannot be pooled (no numerator or
    denominator) or the total denominator is zero."""
    if scale is None:
        return float(rows["value"].mean())
    if rows[["numerator", "denominator"]].isna().any(axis=None):
        return math.nan
    denominator = rows["denominator"].sum()
    return scale * rows["numerator"].sum() / denominator if denominator else math.nan


def regional_summary(values: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per indicator and period of ``values`` (:func:`council_values`): ``councils`` (how
    many had a figure), ``regional`` (the region as a whole, see the module notes), ``mean``,
    ``q1``, ``median``, ``q3`` (of the council values, linear interpolation), ``best`` and
    ``worst`` (by polarity; NaN for an indicator without a better direction). Statistics of a
    month where no council has a figure are NaN."""
    rows = []
    marked = values.assign(_usable=_has_figure(values).to_numpy())
    for (indicator, period), group in marked.groupby(["indicator", "period"], sort=False):
        ind = catalogue[str(indicator)]
        figures = group[group["_usable"]]
        council_figures = figures["value"]
        larger_is_better = LARGER_IS_BETTER.get(ind.polarity)
        high, low = council_figures.max(), council_figures.min()
        best, worst = (high, low) if larger_is_better else (low, high)
        rows.append(
            {
                "indicator": indicator,
                "period": period,
                "councils": len(figures),
                "regional": _pooled(figures, ind.scale),
                "mean": council_figures.mean(),
                "q1": council_figures.quantile(0.25),
                "median": council_figures.median(),
                "q3": council_figures.quantile(0.75),
                "best": math.nan if larger_is_better is None else best,
                "worst": math.nan if larger_is_better is None else worst,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _exact_limit(denominators: np.ndarray, expected_share: float, probability: float, kind: FunnelKind) -> np.ndarray:
    """Spiegelhalter's interpolated ``probability`` quantile of the count, divided by the
    denominator: a proportion (binomial) or a rate per child (Poisson). The distributions come
    from scipy's special functions (``scipy.stats`` builds on the same ones but takes half a
    second to import, in every page that draws a funnel)."""
    from scipy import special

    if kind == "binomial":
        # whole numbers of trials (scipy takes no other); a missing denominator's limits are NaN below
        trials = np.where(np.isnan(denominators), 1, denominators).astype(np.int64)

        def cdf(count: np.ndarray) -> np.ndarray:
            return special.bdtr(count, trials, expected_share)

        inverse = special.bdtrik(probability, trials, expected_share)
    else:
        mean = denominators * expected_share

        def cdf(count: np.ndarray) -> np.ndarray:
            return special.pdtr(count, mean)

        inverse = special.pdtrik(probability, mean)
    # the quantile: the smallest whole count whose cumulative probability reaches ``probability``
    # (the continuous inverse rounded up, or the count below it when that one already reaches it)
    upper = np.ceil(inverse)
    below = np.maximum(upper - 1, 0)
    count = np.where(cdf(below) >= probability, below, upper)
    at_count = cdf(count)
    below_count = np.where(count > 0, cdf(count - 1), 0.0)
    alpha = (at_count - probability) / (at_count - below_count)
    return np.where(np.isnan(denominators), np.nan, (count - alpha) / denominators)


def funnel_limits(
    denominators: Sequence[float] | np.ndarray | pd.Series,
    overall: float,
    scale: float,
    kind: FunnelKind,
    probabilities: tuple[float, float] = (0.975, 0.999),
) -> pd.DataFrame:
    """Exact 95% and 99.8% funnel limits around ``overall`` at each denominator.

    ``overall`` is the regional figure in the indicator's units (a percent for ``scale`` 100, a
    rate per 10,000 for ``scale`` 10,000); the expected share is ``overall / scale``.

    - ``binomial`` (a percentage): the denominator is the number of children counted (e.g.
      referrals); the numerator is binomial with that many trials and probability ``overall /
      scale``. A denominator that is not whole (a point on a chart's grid) is taken at the
      nearest whole number, as only whole numbers of children have exact limits.
    - ``poisson`` (a rate per 10,000 children): the denominator is the population of children;
      the numerator is Poisson with mean ``denominator x overall / scale`` (e.g. 12,000 children
      and a regional rate of 40 per 10,000 expect 48 children).

    ``probabilities`` are the upper tail probabilities of the 95% and 99.8% limits (the lower
    limits use 1 - p). Returns ``denominator`` and :data:`LIMIT_COLUMNS` in the indicator's units,
    clipped to 0 to ``scale`` (binomial) or at 0 (Poisson); NaN where the denominator is 0, below
    0 or missing. Where chance plays no part (an overall figure of 0, or of 100% for a
    percentage) every limit is the overall figure.
    """
    if kind not in ("binomial", "poisson"):
        raise ValueError(f"funnel_limits: kind must be 'binomial' or 'poisson', not {kind!r}")
    share = overall / scale
    highest = 1.0 if kind == "binomial" else math.inf
    if not 0 <= share <= highest:
        raise ValueError(f"funnel_limits: the overall figure {overall:g} is outside 0 to {highest * scale:g}")
    given = np.asarray(denominators, dtype=float)
    n = np.round(given) if kind == "binomial" else given.copy()
    n[~(n > 0)] = np.nan  # NaN limits where the denominator is 0, negative or missing
    certain = share == 0 or share == highest  # every child counted, or none: no room for chance
    result = pd.DataFrame({"denominator": given})
    for probability, level in zip(probabilities, ("95", "998"), strict=True):
        for side, p in (("lower", 1 - probability), ("upper", probability)):
            if certain:
                limit = np.where(np.isnan(n), np.nan, overall)
            else:
                limit = np.clip(_exact_limit(n, share, p, kind) * scale, 0, highest * scale)
            result[f"{side}_{level}"] = limit
    return result


def funnel_positions(latest: pd.DataFrame, overall: float, scale: float, kind: FunnelKind) -> pd.DataFrame:
    """``latest`` (a row per council: council, numerator, denominator, value in the indicator's
    units) with the four :func:`funnel_limits` at the council's own denominator, ``position`` in
    words (:data:`ABOVE_998`, :data:`ABOVE_95`, :data:`WITHIN`, :data:`BELOW_95`,
    :data:`BELOW_998`; missing where the council has no value or its denominator is 0) and
    ``outside`` (True beyond a 99.8% limit). A value exactly on a limit is within it."""
    limits = funnel_limits(latest["denominator"], overall, scale, kind)
    result = latest.reset_index(drop=True).copy()
    for column in LIMIT_COLUMNS:
        result[column] = limits[column].to_numpy()
    value = result["value"].to_numpy(dtype=float)
    placed = ~np.isnan(value) & result[LIMIT_COLUMNS].notna().all(axis=1).to_numpy()
    above_998, below_998 = value > result["upper_998"].to_numpy(), value < result["lower_998"].to_numpy()
    above_95, below_95 = value > result["upper_95"].to_numpy(), value < result["lower_95"].to_numpy()
    position = np.select(
        [above_998, below_998, above_95, below_95], [ABOVE_998, BELOW_998, ABOVE_95, BELOW_95], WITHIN
    ).astype(object)
    result["position"] = np.where(placed, position, None)
    result["outside"] = placed & (above_998 | below_998)
    return result


def rank_trend(ranked: pd.DataFrame, indicator: str, council: str, months: int = 13) -> pd.DataFrame:
    """One council's ``rank`` and ``ranked`` on one indicator (:func:`rank_councils`) for the last
    ``months`` months it has rows for, oldest first: ``period``, ``rank``, ``ranked``."""
    own = ranked[(ranked["indicator"] == indicator) & (ranked["council"] == council)]
    recent = sorted(own["period"].unique())[-months:]
    chosen = own[own["period"].isin(recent)].sort_values("period")
    return chosen[["period", "rank", "ranked"]].reset_index(drop=True)


def suppress_small_counts(frame: pd.DataFrame, threshold: int, columns: Sequence[str] = ("numerator",)) -> pd.DataFrame:
    """Hide small counts before figures leave a council, as DfE does in its publications.

    In each of ``columns`` a count above 0 and below ``threshold`` (1 to 4 for a threshold of 5) becomes
    NaN, and so does the row's ``value`` (if the frame has one), since a percentage and its
    denominator would give the count away. A zero is kept: DfE publishes zeros, as "none" identifies
    no child. ``threshold`` 1 or below hides nothing. Adds ``suppressed`` (True where a count was
    hidden). This is primary suppression only: a hidden count that could be worked out from
    published totals (the region's, say) must be hidden there too.
    """
    result = frame.copy()
    suppressed = pd.Series(False, index=frame.index)
    for column in columns:
        small = (frame[column] > 0) & (frame[column] < threshold)
        result[column] = frame[column].where(~small)
        suppressed |= small
    if "value" in result:
        result["value"] = result["value"].where(~suppressed)
    result["suppressed"] = suppressed
    return result


def council_labels(
    councils: list[str], own: str | None, sharing: Literal["named", "letters"], seed: str = ""
) -> dict[str, str]:
    """The name each council goes by in what is shared with the region.

    ``named``: every council's own name. ``letters``: "Council A", "Council B", ... handed out in
    an order fixed by a hash of ``seed`` and the council's name (SHA-256), which gives away
    neither size, rank nor alphabetical order and is the same whatever order ``councils`` come
    in; a different ``seed`` gives a different order. Every council has its letter whoever reads,
    so "Council C" is the same council in every council's pack and in the region's; ``own`` (the
    council reading) is shown by its name instead of its letter.
    """
    if sharing == "named":
        return {council: council for council in councils}
    if sharing != "letters":
        raise ValueError(f"council_labels: sharing must be 'named' or 'letters', not {sharing!r}")
    ordered = sorted(set(councils), key=lambda name: hashlib.sha256(f"{seed}\x00{name}".encode()).hexdigest())
    from openpyxl.utils import get_column_letter  # "Z", then "AA", as spreadsheet columns

    labels = {council: f"Council {get_column_letter(k + 1)}" for k, council in enumerate(ordered)}
    if own is not None and own in councils:
        labels[own] = own
    return labels
