"""Each row's scores against its own sampled columns, as sparse products (AlphaRec's negatives).

``scores[b, k] = rows[b] . items[columns[b, k]]`` for a few hundred columns per row out of thousands of items. Read
off the dense ``rows @ items.T`` product, the forward and the two backward products are each a full
``[batch, n_items]`` matrix (4,096 x 5,884 on DBbook: most of an AlphaRec step, docs/results/cost.md); gathering
``[batch, k, d]`` item rows instead and scattering their gradient back is slower still. Here the sampled entries
form a sparse pattern: the forward is one sampled product (``torch.sparse.sampled_addmm``) and the backward two
sparse-dense products, so the work is ``batch * k * d``, not ``batch * n_items * d``.

A pattern holds each (row, column) once, as PyTorch's CSR layout requires (sorted, distinct columns per row);
a column drawn twice for a row is one entry whose score is read twice and whose gradient is the sum of both
reads, so the result equals the dense product's gather exactly (up to summation order).
"""

import torch

from recbole_darec.model.graph import crow_from_rows, csr_tensor, index_dtype, transposed_pattern


class _SampledScores(torch.autograd.Function):
    @staticmethod
    def forward(ctx, rows, items, columns):
        (n_rows, k), n_items = columns.shape, len(items)
        # the sort and the CSR products run on the pattern's own index type
        flat = columns.reshape(-1).to(index_dtype(columns.numel(), n_items))
        # reads are row-major and sorted within each row, so a repeated column is the read just before it
        row_start = torch.zeros_like(flat, dtype=torch.bool)
        row_start[::k] = True
        if (flat[1:] < flat[:-1])[~row_start[1:]].any():
            raise ValueError(
                "sampled_scores: columns must be sorted within each row (sort_within_rows(columns, n_items))"
            )
        new_entry = row_start.clone()
        new_entry[1:] |= flat[1:] != flat[:-1]
        first_read = new_entry.nonzero().squeeze(1)
        entry_of_read = torch.cumsum(new_entry, dim=0) - 1
        entry_col, entry_row = flat.index_select(0, first_read), (first_read // k).to(flat.dtype)
        crow = crow_from_rows(entry_row, n_rows)
        pattern = csr_tensor(crow, entry_col, rows.new_ones(len(entry_col)), (n_rows, n_items))
        entry_scores = torch.sparse.sampled_addmm(pattern, rows, items.T, beta=0.0).values()
        ctx.save_for_backward(rows, items, crow, entry_col, entry_row, entry_of_read)
        return entry_scores.index_select(0, entry_of_read).view(n_rows, k)

    @staticmethod
    def backward(ctx, grad):
        rows, items, crow, entry_col, entry_row, entry_of_read = ctx.saved_tensors
        n_rows, n_items = len(rows), len(items)
        entry_grad = grad.new_zeros(len(entry_col)).index_add_(0, entry_of_read, grad.reshape(-1))
        grad_rows = grad_items = None
        if ctx.needs_input_grad[0]:
            grad_rows = torch.sparse.mm(csr_tensor(crow, entry_col, entry_grad, (n_rows, n_items)), items)
        if ctx.needs_input_grad[1]:
            t_crow, t_col, order = transposed_pattern(entry_row, entry_col, n_items)
            transpose = csr_tensor(t_crow, t_col, entry_grad.index_select(0, order), (n_items, n_rows))
            grad_items = torch.sparse.mm(transpose, rows)
        return grad_rows, grad_items, None


def sort_within_rows(columns, n_columns):
    """``columns.sort(dim=1).values`` (the same tensor), as one flat sort of ``row * n_columns + column`` keys in the
    narrowest index type: PyTorch sorts one long array much faster than many short rows (a [4,096, 256] batch of
    AlphaRec's negatives: 10 ms against 27 ms on one core, docs/results/cost.md)."""
    n_rows, _ = columns.shape
    if columns.numel() and not 0 <= int(columns.min()) <= int(columns.max()) < n_columns:
        raise ValueError(
            f"sort_within_rows: columns must lie in [0, {n_columns}) (got {int(columns.min())}..{int(columns.max())})"
        )
    dtype = index_dtype(n_rows * n_columns)
    offsets = torch.arange(n_rows, dtype=dtype, device=columns.device).unsqueeze(1) * n_columns
    keys = (columns.to(dtype) + offsets).reshape(-1)
    return (keys.sort().values.view_as(columns) - offsets).to(columns.dtype)


def sampled_scores(rows, items, columns):
    """``[n, k]`` scores ``rows[b] . items[columns[b, k]]``, differentiable in ``rows`` and ``items``.

    ``columns`` (``[n, k]`` item indices) must be sorted within each row (:func:`sort_within_rows`); repeats are
    allowed."""
    return _SampledScores.apply(rows.contiguous(), items.contiguous(), columns)
