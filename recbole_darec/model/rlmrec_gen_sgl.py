"""RLMRecGenSGL: SGL trained with RLMRec's generative (masked reconstruction) alignment.

Defaults: properties/model/SGL.yaml, ProfileAligned.yaml, RLMRecGen.yaml and RLMRecGenSGL.yaml, in that order.
"""

from recbole_darec.model.sgl import SGL
from recbole_darec.model.rlmrec import RLMRecGen


class RLMRecGenSGL(RLMRecGen, SGL):
    pass
