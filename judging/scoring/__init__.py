"""Scoring: score sheets, the judge's pages and the organizer's running of a round.

``rules`` (no database: familiarity and its confidence weights, reading values and grades, bands,
the opinion's length, the weighted total), ``service`` (state changes, each with its audit event),
``rubrics`` (the organizer's rubric of a category), ``controllers`` (thin HTTP).
"""

from judging.scoring.rules import CONFIDENCE_WEIGHTS, FAMILIARITY_LABELS, weighted_total

__all__ = ["CONFIDENCE_WEIGHTS", "FAMILIARITY_LABELS", "weighted_total"]
