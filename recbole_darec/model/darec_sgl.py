"""DaRecSGL: SGL trained with the DaRec alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's SGL.yaml, SGL.yaml, AlignedModel.yaml, DaRec.yaml and DaRecSGL.yaml.
"""

from recbole_darec.model.darec import DaRec
from recbole_darec.model.sgl import SGL


class DaRecSGL(DaRec, SGL):
    pass
