"""RLMRecGenSGL: SGL trained with RLMRec's generative alignment.

Defaults (properties/model/ unless RecBole's), in that order:
RecBole's SGL.yaml, SGL.yaml, AlignedModel.yaml, RLMRecGen.yaml and RLMRecGenSGL.yaml.
"""

from recbole_darec.model.rlmrec import RLMRecGen
from recbole_darec.model.sgl import SGL


class RLMRecGenSGL(RLMRecGen, SGL):
    pass
