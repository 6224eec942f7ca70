"""RLMRecConSGL: SGL trained with RLMRec's contrastive alignment.

Defaults: properties/model/SGL.yaml, ProfileAligned.yaml and RLMRecConSGL.yaml, in that order.
"""

from recbole_darec.model.sgl import SGL
from recbole_darec.model.rlmrec import RLMRecCon


class RLMRecConSGL(RLMRecCon, SGL):
    pass
