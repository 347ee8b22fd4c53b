"""The synthetic demo: a fictional county (or a region of fictional councils of real councils' sizes), as
deterministic, clearly labelled synthetic Annex A extracts and aggregates."""

from csc_workbench.demo.generate import (
    REFERENCE_POPULATION,
    DemoConfig,
    DemoFiles,
    demo_population,
    generate_demo,
    resolve_gap_month,
    volume_scale,
)
from csc_workbench.demo.region import generate_region

__all__ = [
    "REFERENCE_POPULATION",
    "DemoConfig",
    "DemoFiles",
    "demo_population",
    "generate_demo",
    "generate_region",
    "resolve_gap_month",
    "volume_scale",
]
