"""Batch campaigns: many research goals from one YAML spec, run in parallel (local pool or Ray).

A front end on :mod:`hypoforge.agents.run`: every goal is one co-scientist run with its own
checkpoint. Modules: :mod:`.spec` validates the YAML; :mod:`.worker` runs one goal and returns its
results; :mod:`.driver` holds ``campaign.json`` and submits, collects and writes; :mod:`.pools` runs
goals in a local process pool or on Ray; :mod:`.outputs` writes per-goal and campaign reports;
:mod:`.status` renders progress; :mod:`.commands` is the CLI; :mod:`.scripted` is a scripted deps
factory for tests and benchmarks.

Design:

* **One writer.** Only the driver (the ``hypoforge campaign`` process) writes ``DIR/campaign.json``
  and the campaign outputs, always atomically. Workers run one goal each and *return* the result
  (report JSON and Markdown, Elo history); they never touch campaign files. That is what lets the
  same worker function run in a local process pool or as a Ray task on another machine.
* **One checkpoint per goal.** A goal's run id is ``<campaign id>-<goal id>`` and its data dir is
  ``DIR/goals/<id>/data`` (so its LangGraph SQLite checkpoint is its own file: parallel goals never
  contend for one database). ``campaign resume DIR`` skips goals whose status is ``complete`` and
  calls :func:`~hypoforge.agents.run.resume_run` for goals that were recorded (from their last
  checkpoint, or from the goal when none was written), ``start_run`` for the rest.
* **Failures are data.** A goal that raises is returned as ``failed`` with its error; the campaign
  goes on, and the summary lists it. A worker process that dies (segfault, OOM kill) breaks the
  pool: the goals it was running are marked failed and a fresh pool takes the rest.
* **Injectable dependencies.** Workers build their LLM and index with a *deps factory* named by a
  dotted path ``"module:function"`` called as ``factory(settings, goal, on_event, options)``.
  The default builds the real ones (:meth:`Deps.from_settings`); tests and the overhead benchmark
  use :func:`hypoforge.campaign.scripted.scripted_deps`. A path (not a callable) is stored in
  ``campaign.json``, so ``resume`` uses the same factory (paths from before the move out of
  ``agents/`` are read as their new ones: :data:`hypoforge.campaign.driver.MOVED_FACTORIES`).
* **Progress.** Workers forward ``node_start``/``node_end`` events (a multiprocessing queue locally,
  a Ray queue actor on a cluster); the driver updates the Rich progress bars and ``campaign.json``.
"""
