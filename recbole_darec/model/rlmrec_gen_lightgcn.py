"""RLMRecGenLightGCN: LightGCN trained with RLMRec's generative (masked reconstruction) alignment.

Defaults: properties/model/LightGCN.yaml, ProfileAligned.yaml, RLMRecGen.yaml and RLMRecGenLightGCN.yaml, in that order.
"""

from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.rlmrec import RLMRecGen


class RLMRecGenLightGCN(RLMRecGen, LightGCN):
    pass
