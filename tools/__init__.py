"""Tools the agents call for computed evidence.

* :mod:`hypoforge.tools.base`: the Tool contract, ToolResult, ToolInputError.
* :mod:`hypoforge.tools.registry`: ToolRegistry (entry-point discovery, validation, ``call``, ``specs``).
* :mod:`hypoforge.tools.testing`: ``check_tool`` for plugin authors' tests.
* Built-ins: :mod:`hypoforge.tools.chemistry` (RDKit: ``core``, ``screen``, ``tools``),
  :mod:`hypoforge.tools.sequences` (Biopython), :mod:`hypoforge.tools.protein` (ESM C: ``variants``,
  ``esmc``, ``tools``) and :mod:`hypoforge.tools.genomics`.

Every built-in tool is written one way: ``ClassVar`` attributes and ``run(self, inp: ItsInput)``
typed with its own Input model.

Nothing heavy is imported here; tool modules load when the registry resolves them.
"""
