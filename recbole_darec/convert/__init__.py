"""Bring interaction files and fixed train/validation/test splits into RecBole as atomic files (the formats and
the command line: :mod:`recbole_darec.convert.cli`)."""

from recbole_darec.convert.cli import main
from recbole_darec.convert.common import ConversionError
from recbole_darec.convert.interactions import convert_interactions
from recbole_darec.convert.labelled import convert_labelled_tsv
from recbole_darec.convert.rlmrec import convert_rlmrec
from recbole_darec.convert.txt import convert_lightgcn_txt

__all__ = [
    "main",
    "ConversionError",
    "convert_interactions",
    "convert_rlmrec",
    "convert_lightgcn_txt",
    "convert_labelled_tsv",
]
