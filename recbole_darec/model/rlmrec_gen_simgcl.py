"""RLMRecGenSimGCL: SimGCL trained with RLMRec's generative alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's LightGCN.yaml, LightGCN.yaml, SimGCL.yaml, AlignedModel.yaml, RLMRecGen.yaml and RLMRecGenSimGCL.yaml.
"""

from recbole_darec.model.rlmrec import RLMRecGen
from recbole_darec.model.simgcl import SimGCL


class RLMRecGenSimGCL(RLMRecGen, SimGCL):
    pass
