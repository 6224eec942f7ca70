"""Layers several models share (recbole_darec.model.layers)."""

import torch

from recbole_darec.model.layers import combine_layers, distinct


def test_distinct_ids_are_torch_unique_without_a_sort():
    ids = torch.tensor([5, 0, 3, 5, 9, 3, 3])
    assert torch.equal(distinct(ids, 10), torch.unique(ids))
    assert distinct(torch.tensor([], dtype=torch.long), 4).numel() == 0


def test_combined_layers_are_their_mean_or_sum_and_each_layer_gets_its_share_of_the_gradient():
    layers = [torch.tensor([[1.0, 2.0]], requires_grad=True), torch.tensor([[4.0, -2.0]], requires_grad=True)]
    mean = combine_layers(layers, "mean")
    assert torch.equal(mean, torch.tensor([[2.5, 0.0]]))
    assert torch.equal(combine_layers(layers, "sum"), torch.tensor([[5.0, 0.0]]))
    mean.sum().backward()
    assert all(torch.equal(layer.grad, torch.full((1, 2), 0.5)) for layer in layers)
