"""DaRecLightGCN: LightGCN trained with the DaRec alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, AlignedModel.yaml, DaRec.yaml and DaRecLightGCN.yaml.
"""

from recbole_darec.model.darec import DaRec
from recbole_darec.model.lightgcn import LightGCN


class DaRecLightGCN(DaRec, LightGCN):
    pass
