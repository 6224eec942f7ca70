"""AlphaRec's sampled negative scores as sparse products (recbole_darec.model.sampled_scores): the dense
product's gathered entries, forward and backward, repeated columns included."""

import pytest
import torch

from recbole_darec.model.sampled_scores import sampled_scores, sort_within_rows


def _dense_reference(rows, items, columns):
    return torch.gather(rows @ items.T, 1, columns)


@pytest.mark.parametrize("n_items, k", [(7, 12), (50, 5)])  # 12 draws of 7 items repeat; 5 of 50 mostly do not
def test_sampled_scores_equal_the_dense_products_entries_and_gradients(n_items, k):
    g = torch.Generator().manual_seed(3)
    rows, items = torch.randn(9, 4, generator=g), torch.randn(n_items, 4, generator=g)
    columns = torch.randint(0, n_items, (9, k), generator=g).sort(dim=1).values
    weights = torch.randn(9, k, generator=g)  # a loss that weighs every read differently
    results = []
    for score in (_dense_reference, sampled_scores):
        r, i = rows.clone().requires_grad_(), items.clone().requires_grad_()
        out = score(r, i, columns)
        (out * weights).sum().backward()
        results.append((out.detach(), r.grad, i.grad))
    for ours, reference in zip(results[1], results[0]):
        torch.testing.assert_close(ours, reference)
    if n_items == 7:
        assert (columns[:, 1:] == columns[:, :-1]).any()  # the case of a column drawn twice was exercised


def test_sampled_scores_pass_gradcheck_with_repeats():
    g = torch.Generator().manual_seed(5)
    rows = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    items = torch.randn(5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    columns = torch.tensor([[0, 0, 3], [1, 2, 4], [4, 4, 4], [0, 2, 3]])
    assert torch.autograd.gradcheck(lambda r, i: sampled_scores(r, i, columns), (rows, items))


def test_only_the_gradient_asked_for_is_formed():
    rows, items = torch.randn(3, 2, requires_grad=True), torch.randn(4, 2)
    sampled_scores(rows, items, torch.tensor([[0, 1], [1, 3], [2, 2]])).sum().backward()
    assert rows.grad is not None and items.grad is None


def test_unsorted_columns_are_refused():
    with pytest.raises(ValueError, match="sorted within each row"):
        sampled_scores(torch.randn(2, 2), torch.randn(4, 2), torch.tensor([[0, 3], [2, 1]]))
    sampled_scores(torch.randn(2, 2), torch.randn(4, 2), torch.tensor([[0, 3], [1, 2]]))  # a new row may start lower


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_the_flat_sort_is_the_row_sort(dtype):
    g = torch.Generator().manual_seed(7)
    columns = torch.randint(0, 13, (40, 25), generator=g).to(dtype)  # repeats within rows, rows of every order
    sorted_columns = sort_within_rows(columns, 13)
    assert sorted_columns.dtype == dtype
    assert torch.equal(sorted_columns, columns.sort(dim=1).values)


def test_a_column_outside_the_item_range_is_refused():
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        sort_within_rows(torch.tensor([[0, 4]]), 4)
