"""Tools the agents call for computed evidence.

* :mod:`hypoforge.tools.base`: the Tool contract, ToolResult, ToolInputError.
* :mod:`hypoforge.tools.registry`: ToolRegistry (entry-point discovery, validation, ``call``, ``specs``).
* :mod:`hypoforge.tools.testing`: ``check_tool`` for plugin authors' tests.
* :mod:`hypoforge.tools.chemistry` (RDKit) and :mod:`hypoforge.tools.sequences` (Biopython): built-ins.

Nothing heavy is imported here; tool modules load when the registry resolves them.
"""
