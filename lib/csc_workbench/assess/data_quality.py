"""The loads behind a pack's month and their data quality: the latest Annex A extract as at that
month or before, with the data-quality record stored with it, and the aggregate returns whose
figures the month's pages read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from csc_workbench.assess.series import as_month
from csc_workbench.periods import month_end
from csc_workbench.store.atoms import QUALITY_COLUMNS, Store

ANNEX_A = "annex_a"
AGGREGATES = "aggregates"


@dataclass(frozen=True)
class Load:
    """One load of the store: its vintage, kind, the date its data is as at and the figures stored."""

    vintage: int
    kind: str
    as_at: date
    figures: int


@dataclass(frozen=True)
class MonthDataQuality:
    """What a month's data-quality page reports."""

    month: int
    annex_a: Load | None  # the latest Annex A load as at the month's end or before; None: none
    quality: pd.DataFrame  # its data-quality record (``QUALITY_COLUMNS``); empty when none was kept
    aggregates: list[Load] = field(default_factory=list)  # aggregate returns whose figures the month's pages read

    @property
    def recorded(self) -> bool:
        """Whether the Annex A load has a data-quality record (loads into older stores have none)."""
        return not self.quality.empty


def month_data_quality(store: Store, month: str | int) -> MonthDataQuality:
    """The loads behind the pack of ``month`` (``YYYY-MM`` or a month index): the Annex A load whose as-at date is
    latest among those in or before the month (the later load when two share it) with its data-quality record,
    and the aggregate loads holding figures the month's pages read."""
    index = as_month(month)
    loads = [
        Load(int(row.vintage), str(row.kind), pd.Timestamp(row.as_at).date(), int(row.rows))
        for row in store.vintages().dropna(subset=["as_at"]).itertuples()
    ]
    extracts = [load for load in loads if load.kind == ANNEX_A and load.as_at <= month_end(index)]
    annex_a = max(extracts, key=lambda load: (load.as_at, load.vintage), default=None)
    quality = store.data_quality([annex_a.vintage]) if annex_a else pd.DataFrame(columns=[*QUALITY_COLUMNS, "vintage"])
    read = set(store.vintages_read(index))
    aggregates = [load for load in loads if load.kind == AGGREGATES and load.vintage in read]
    return MonthDataQuality(index, annex_a, quality, aggregates)
