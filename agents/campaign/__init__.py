"""Batch campaigns: many research goals from one YAML spec, run in parallel (local pool or Ray).

``spec`` validates the YAML, ``runner`` executes goals (each a checkpointed co-scientist run),
``outputs`` writes per-goal and campaign reports, ``status`` renders progress, ``commands`` is the
CLI, and ``testing`` is a scripted deps factory for tests and benchmarks.
"""
