"""RLMRecConLightGCN: LightGCN trained with RLMRec's contrastive alignment.

Defaults: properties/model/LightGCN.yaml, ProfileAligned.yaml and RLMRecConLightGCN.yaml, in that order.
"""

from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.rlmrec import RLMRecCon


class RLMRecConLightGCN(RLMRecCon, LightGCN):
    pass
