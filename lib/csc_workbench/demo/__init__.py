"""The synthetic demo county: deterministic, clearly labelled synthetic Annex A extracts and aggregates."""

from csc_workbench.demo.generate import DemoConfig, DemoFiles, generate_demo, resolve_gap_month

__all__ = ["DemoConfig", "DemoFiles", "generate_demo", "resolve_gap_month"]
