"""``hypoforge chat``: a Rich terminal conversation with the co-scientist loop.

A front end on :mod:`hypoforge.agents.run`. Modules: :mod:`.session` (the persisted conversation),
:mod:`.driving` (``/run``: start, resume or continue the session's run), :mod:`.actions` (critique,
evolve, debate and grounded answers on chosen proposals), :mod:`.capabilities` (tools, molecules,
proteins, patients; optional), :mod:`.slash` (parsing and dispatch of slash commands), :mod:`.app`
(the REPL and live display) and :mod:`.commands` (the CLI entry). Only :mod:`.commands` is
imported by ``hypoforge --help``.
"""
