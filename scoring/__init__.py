"""The matching engine: plain documents in, rankings and reasons out. No Flask, no database."""

from .documents import ChallengeDoc, TechnologyDoc
from .engine import DuplicateDocumentId, Match, MatchEngine
from .text import Analysis, TextAnalyzer

__all__ = ["Analysis", "ChallengeDoc", "DuplicateDocumentId", "Match", "MatchEngine", "TechnologyDoc", "TextAnalyzer"]
