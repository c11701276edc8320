"""The pipeline that builds the graph: sources -> parse -> graph -> validate -> serialise.

Each stage is a module with plain functions (data in, data out); no stage
imports a later one. ``pipeline.build`` runs them in order.
"""
