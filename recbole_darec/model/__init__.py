"""Models of this package; :func:`recbole_darec.model.lookup.get_model` finds these before RecBole's."""

from recbole_darec.model.alpharec import AlphaRec
from recbole_darec.model.darec_lightgcn import DaRecLightGCN
from recbole_darec.model.darec_sgl import DaRecSGL
from recbole_darec.model.darec_simgcl import DaRecSimGCL
from recbole_darec.model.l3ae import L3AE
from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.pop import Pop
from recbole_darec.model.rlmrec_con_lightgcn import RLMRecConLightGCN
from recbole_darec.model.rlmrec_con_sgl import RLMRecConSGL
from recbole_darec.model.rlmrec_con_simgcl import RLMRecConSimGCL
from recbole_darec.model.rlmrec_gen_lightgcn import RLMRecGenLightGCN
from recbole_darec.model.rlmrec_gen_sgl import RLMRecGenSGL
from recbole_darec.model.rlmrec_gen_simgcl import RLMRecGenSimGCL
from recbole_darec.model.sgl import SGL
from recbole_darec.model.simgcl import SimGCL

__all__ = [
    "AlphaRec",
    "L3AE",
    "LightGCN",
    "Pop",
    "SGL",
    "SimGCL",
    "DaRecLightGCN",
    "DaRecSGL",
    "DaRecSimGCL",
    "RLMRecConLightGCN",
    "RLMRecConSGL",
    "RLMRecConSimGCL",
    "RLMRecGenLightGCN",
    "RLMRecGenSGL",
    "RLMRecGenSimGCL",
]
