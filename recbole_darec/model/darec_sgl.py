"""DaRecSGL: SGL trained with the DaRec alignment (disentangled shared/specific parts, global and local structure).

Defaults: properties/model/SGL.yaml, ProfileAligned.yaml, DaRec.yaml and DaRecSGL.yaml, in that order.
"""

from recbole_darec.model.sgl import SGL
from recbole_darec.model.darec import DaRec


class DaRecSGL(DaRec, SGL):
    pass
