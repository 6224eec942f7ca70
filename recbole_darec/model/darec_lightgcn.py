"""DaRecLightGCN: LightGCN trained with the DaRec alignment (disentangled shared/specific parts, global and local structure).

Defaults: properties/model/LightGCN.yaml, ProfileAligned.yaml, DaRec.yaml and DaRecLightGCN.yaml, in that order.
"""

from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.darec import DaRec


class DaRecLightGCN(DaRec, LightGCN):
    pass
