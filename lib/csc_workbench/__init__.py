"""Children's social care performance workbench.

Data flows one way: ingest -> measures -> store -> assess -> present -> pack.
"""

__version__ = "0.1.0"
