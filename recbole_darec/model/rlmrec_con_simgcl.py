"""RLMRecConSimGCL: SimGCL trained with RLMRec's contrastive alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, SimGCL.yaml, AlignedModel.yaml, RLMRecCon.yaml and RLMRecConSimGCL.yaml.
"""

from recbole_darec.model.rlmrec import RLMRecCon
from recbole_darec.model.simgcl import SimGCL


class RLMRecConSimGCL(RLMRecCon, SimGCL):
    pass
