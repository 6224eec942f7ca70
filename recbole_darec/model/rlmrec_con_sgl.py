"""RLMRecConSGL: SGL trained with RLMRec's contrastive alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's SGL.yaml, SGL.yaml, AlignedModel.yaml, RLMRecCon.yaml and RLMRecConSGL.yaml.
"""

from recbole_darec.model.rlmrec import RLMRecCon
from recbole_darec.model.sgl import SGL


class RLMRecConSGL(RLMRecCon, SGL):
    pass
