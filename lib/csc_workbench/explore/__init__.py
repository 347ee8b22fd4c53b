"""Exploration in JupyterLab: the explorer's pure functions and its ipywidgets front end."""

from csc_workbench.explore.explorer import Explorer, ExplorerState, view_chart, view_data, view_table

__all__ = ["Explorer", "ExplorerState", "view_chart", "view_data", "view_table"]
