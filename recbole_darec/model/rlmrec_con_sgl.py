"""RLMRecConSGL: SGL trained with the RLMRec's contrastive alignment.

Defaults: properties/model/SGL.yaml, ProfileAligned.yaml, RLMRecCon.yaml and RLMRecConSGL.yaml, in that order.
"""

from recbole_darec.model.sgl import SGL
from recbole_darec.model.rlmrec import RLMRecCon


class RLMRecConSGL(RLMRecCon, SGL):
    pass
