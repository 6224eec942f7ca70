"""The backbones' options: defaults reproduce RecBole, RLMRec's forms where they differ."""

import pytest
import torch

from recbole_darec.config import Config, ConfigError
from recbole_darec.prepare import prepare_dataset_files
from recbole_darec.quick_start import _build


def test_lightgcn_rlmrec_options(tmp_path, base_config):
    def model_with(**options):
        config = Config(model="LightGCN", dataset="ml-100k", config_dict=base_config(tmp_path, **options))
        prepare_dataset_files(config)
        return _build(config)[1]

    mean, summed = model_with(), model_with(layer_combination="sum")
    mean.eval(), summed.eval()
    layers = mean.n_layers + 1
    assert torch.allclose(summed.forward()[0], layers * mean.forward()[0], atol=1e-5)  # same seed, same weights
    dropped = model_with(edge_keep_rate=0.8)
    dropped.train()
    assert dropped.training_graph()._nnz() < 0.85 * dropped.norm_adj_matrix._nnz()
    dropped.eval()
    assert dropped.training_graph() is dropped.norm_adj_matrix  # evaluation always sees every edge
    with pytest.raises(ConfigError, match="edge_keep_rate"):
        model_with(edge_keep_rate=1.5)
