"""Layers several models share (recbole_darec.model.layers)."""

import torch

from recbole_darec.model.layers import distinct


def test_distinct_ids_are_torch_unique_without_a_sort():
    ids = torch.tensor([5, 0, 3, 5, 9, 3, 3])
    assert torch.equal(distinct(ids, 10), torch.unique(ids))
    assert distinct(torch.tensor([], dtype=torch.long), 4).numel() == 0
