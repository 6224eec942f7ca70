"""RLMRecGenLightGCN: LightGCN trained with RLMRec's generative alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, AlignedModel.yaml, RLMRecGen.yaml and RLMRecGenLightGCN.yaml.
"""

from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.rlmrec import RLMRecGen


class RLMRecGenLightGCN(RLMRecGen, LightGCN):
    pass
