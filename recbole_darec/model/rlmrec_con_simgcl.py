"""RLMRecConSimGCL: SimGCL trained with RLMRec's contrastive alignment.

Defaults: properties/model/SimGCL.yaml, ProfileAligned.yaml and RLMRecConSimGCL.yaml, in that order.
"""

from recbole_darec.model.simgcl import SimGCL
from recbole_darec.model.rlmrec import RLMRecCon


class RLMRecConSimGCL(RLMRecCon, SimGCL):
    pass
