"""DaRecSimGCL: SimGCL trained with the DaRec alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, SimGCL.yaml, AlignedModel.yaml, DaRec.yaml and DaRecSimGCL.yaml.
"""

from recbole_darec.model.darec import DaRec
from recbole_darec.model.simgcl import SimGCL


class DaRecSimGCL(DaRec, SimGCL):
    pass
