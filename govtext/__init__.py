"""govtext: governance themes in Chinese governance writing."""

from govtext.documents import Corpus, Document, FileRecord, Provenance
from govtext.errors import GovtextError

__version__ = "0.1.0"

__all__ = ["Corpus", "Document", "FileRecord", "GovtextError", "Provenance", "__version__"]
