"""RLMRecConLightGCN: LightGCN trained with RLMRec's contrastive alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, AlignedModel.yaml, RLMRecCon.yaml and RLMRecConLightGCN.yaml.
"""

from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.rlmrec import RLMRecCon


class RLMRecConLightGCN(RLMRecCon, LightGCN):
    pass
