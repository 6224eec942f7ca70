"""DaRecSimGCL: SimGCL trained with the DaRec alignment (disentangled shared/specific parts, global and local structure).

Defaults: properties/model/SimGCL.yaml, ProfileAligned.yaml, DaRec.yaml and DaRecSimGCL.yaml, in that order.
"""

from recbole_darec.model.simgcl import SimGCL
from recbole_darec.model.darec import DaRec


class DaRecSimGCL(DaRec, SimGCL):
    pass
