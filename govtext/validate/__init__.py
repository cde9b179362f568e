"""Validation: draw a sample, have people code it, score the dictionary against the codes.

``sample`` writes a coding workbook (one sheet per coder, predictions hidden), ``score``
reads it back, measures agreement between coders and scores the dictionary with
bootstrap intervals re-weighted by the sampling weights, ``report`` writes the tables.
"""

from __future__ import annotations

from govtext.validate.report import write_report
from govtext.validate.sample import Sample, draw_sample, sample
from govtext.validate.score import Scores, score
from govtext.validate.workbook import Codes, read_codes, write_workbook

__all__ = [
    "Codes",
    "Sample",
    "Scores",
    "draw_sample",
    "read_codes",
    "sample",
    "score",
    "write_report",
    "write_workbook",
]
