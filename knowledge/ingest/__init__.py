"""Literature ingestion: files and PubMed into :class:`~hypoforge.knowledge.records.Record` objects.

``parse_path(path)`` yields records and :class:`Rejection` objects (file, location, reason) for
every supported format; the store (another module) decides what to embed. The live PubMed client
is in :mod:`hypoforge.knowledge.ingest.pubmed`; the ``index pubmed`` CLI hook in
:mod:`hypoforge.knowledge.ingest.commands`.
"""

from hypoforge.knowledge.ingest.files import detect_kind, parse_path
from hypoforge.knowledge.ingest.models import Rejection

__all__ = ["Rejection", "detect_kind", "parse_path"]
