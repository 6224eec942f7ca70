"""RLMRecGenSimGCL: SimGCL trained with RLMRec's generative (masked reconstruction) alignment.

Defaults: properties/model/SimGCL.yaml, ProfileAligned.yaml, RLMRecGen.yaml and RLMRecGenSimGCL.yaml, in that order.
"""

from recbole_darec.model.simgcl import SimGCL
from recbole_darec.model.rlmrec import RLMRecGen


class RLMRecGenSimGCL(RLMRecGen, SimGCL):
    pass
