"""Graph propagation for every graph model of this package: one adjacency layout, one backward.

RecBole's LightGCN and SGL multiply a COO tensor with ``torch.sparse.mm``; its autograd backward, not
the arithmetic, is most of a training step (ML-1M's training graph, 3 layers, forward and backward:
0.475 s a step against 0.087 s for the same products held in CSR with the backward below;
``benchmarks/propagation_cost.py``, docs/results/cost.md). :class:`Adjacency` holds the matrix in CSR
together with its transpose, which is the very same tensor when the matrix is symmetric (every
normalised adjacency of an undirected graph is), and :func:`propagate` multiplies with a backward that
is the transposed product: the adjacency is data, so no gradient is formed for it.

Edge dropout (:meth:`Adjacency.drop_edges`) keeps each stored entry independently, so the two directions
of an edge are dropped separately and the result is not symmetric; its transpose is read off the parent's
entry order (``_transpose_order``, computed once per graph), not rebuilt by sorting every step, and both
kept patterns are gathered with one ``nonzero`` each (ML-1M: 70 -> 20 ms a step; docs/results/cost.md).
"""

import warnings

import numpy as np
import scipy.sparse as sp
import torch

# CSR products are stable for what is used here (sparse x dense); the beta notice would only alarm users
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


class Adjacency:
    """A constant sparse matrix ``[n, n]`` and its transpose, both CSR, on one device."""

    def __init__(self, crow, col, values, size, transpose=None, transpose_order=None):
        self.size = tuple(size)
        self.matrix = csr_tensor(crow, col, values, self.size)
        if transpose is None:
            transpose, transpose_order = self._build_transpose(crow, col, values)
        self.transpose = transpose
        self._transpose_order = transpose_order  # the matrix's entry index of each of the transpose's entries

    @classmethod
    def from_scipy(cls, matrix, device="cpu"):
        """From any scipy sparse matrix (duplicates summed, entries sorted as CSR stores them), as float32."""
        csr = sp.csr_matrix(matrix)
        csr.sum_duplicates()
        csr.sort_indices()
        as_long = lambda array: torch.as_tensor(array.astype(np.int64), device=device)  # noqa: E731
        values = torch.as_tensor(csr.data.astype(np.float32), device=device)
        return cls(as_long(csr.indptr), as_long(csr.indices), values, csr.shape)

    @classmethod
    def from_torch(cls, tensor):
        """From a torch sparse COO or CSR tensor (RecBole's graphs), on its device."""
        if tensor.layout == torch.sparse_coo:
            tensor = tensor.coalesce().to_sparse_csr()
        return cls(tensor.crow_indices(), tensor.col_indices(), tensor.values(), tensor.shape)

    def _build_transpose(self, crow, col, values):
        """The transpose in CSR and the entry order that maps this matrix's values onto it; the matrix itself
        when it is symmetric (same structure and values)."""
        n_rows, n_cols = self.size
        t_crow, t_col, order = transposed_pattern(entry_rows(crow), col, n_cols)
        t_values = values[order]
        same = lambda a, b: torch.equal(a.long(), b.long())  # noqa: E731  (32- or 64-bit indices alike)
        symmetric = n_rows == n_cols and same(t_crow, crow) and same(t_col, col)
        if symmetric and torch.equal(t_values, values):
            return self.matrix, order
        return csr_tensor(t_crow, t_col, t_values, (n_cols, n_rows)), order

    @property
    def symmetric(self):
        return self.transpose is self.matrix

    def nnz(self):
        return self.matrix.values().numel()

    @property
    def device(self):
        return self.matrix.device

    def to(self, device):
        if torch.device(device) == self.device:
            return self
        m = self.matrix
        return Adjacency(m.crow_indices().to(device), m.col_indices().to(device), m.values().to(device), self.size)

    def to_dense(self):
        return self.matrix.to_dense()

    def drop_edges(self, keep_rate):
        """Keep each stored entry with probability ``keep_rate``, rescaled by 1/keep (RLMRec's edge dropout
        of the normalised graph). One uniform draw per entry in CSR order, as RecBole's coalesced COO order.

        Every training step of RLMRec's LightGCN form calls this, so it is written for speed: one ``nonzero`` per
        matrix and gathers (boolean-mask indexing of ML-1M's 1.6M entries, six times, cost 71 ms a step, more than
        the propagation; now 20 ms), each kept row's start read off a running count of kept entries. The kept
        entries, their order and values are the same as boolean indexing gives (tests/test_graph.py)."""
        keep = torch.rand(self.nnz(), device=self.device) < keep_rate
        kept = _kept_entries(self.matrix, keep, keep_rate)
        # the transpose's entry j is the matrix's entry _transpose_order[j]: kept with it, and holding its value
        t_kept = _kept_entries(self.transpose, keep.index_select(0, self._transpose_order), keep_rate)
        n_rows, n_cols = self.size
        return Adjacency(*kept, self.size, transpose=csr_tensor(*t_kept, (n_cols, n_rows)))


def index_dtype(*counts):
    """32-bit indices where every count fits: the CPU kernel (MKL) converts 64-bit ones on every product (ML-1M:
    6.0 ms a product with 64-bit indices, 4.0 ms with 32-bit; the same sums)."""
    return torch.int32 if max(counts) < 2**31 - 1 else torch.int64


def csr_tensor(crow, col, values, size):
    """A CSR tensor with :func:`index_dtype` indices. Its callers build the arrays sorted and distinct per row (a
    sorted scipy CSR, a subset of one, a sampled pattern), valid by construction, so the invariant check is
    skipped."""
    dtype = index_dtype(values.numel(), *size)
    return torch.sparse_csr_tensor(crow.to(dtype), col.to(dtype), values, size, check_invariants=False)


def entry_rows(crow):
    """The row index of each stored entry of a CSR pattern."""
    counts = (crow[1:] - crow[:-1]).long()
    return torch.repeat_interleave(torch.arange(len(counts), device=crow.device), counts)


def crow_from_rows(rows, n_rows):
    crow = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n_rows), dim=0)
    return crow


def transposed_pattern(entry_rows, entry_cols, n_cols):
    """The transpose of a CSR pattern whose entries are stored row by row: its ``(crow, col)`` and the entry
    index of each of its entries (entries column by column, rows ascending within a column)."""
    order = torch.argsort(entry_cols, stable=True)  # stable: rows stay ascending within a column
    return crow_from_rows(entry_cols, n_cols), entry_rows.index_select(0, order), order


def _kept_entries(matrix, keep, keep_rate):
    """CSR arrays ``(crow, col, values / keep_rate)`` of the entries of ``matrix`` selected by ``keep`` (order
    preserved)."""
    entries = keep.nonzero().squeeze(1)
    kept_before = torch.zeros(len(keep) + 1, dtype=index_dtype(len(keep)), device=keep.device)
    torch.cumsum(keep, dim=0, dtype=kept_before.dtype, out=kept_before[1:])
    crow = kept_before.index_select(0, matrix.crow_indices())
    return crow, matrix.col_indices().index_select(0, entries), matrix.values().index_select(0, entries) / keep_rate


class _Propagate(torch.autograd.Function):
    """``A @ x`` with ``A`` constant: the backward is ``A^T @ grad``, one sparse product, no gradient for A."""

    @staticmethod
    def forward(ctx, x, matrix, transpose):
        ctx.transpose = transpose
        return torch.sparse.mm(matrix, x)

    @staticmethod
    def backward(ctx, grad):
        return torch.sparse.mm(ctx.transpose, grad.contiguous()), None, None


def propagate(adjacency, x):
    """One propagation layer: ``adjacency @ x`` (an :class:`Adjacency`), differentiable in ``x``."""
    if not x.requires_grad:
        return torch.sparse.mm(adjacency.matrix, x)
    return _Propagate.apply(x, adjacency.matrix, adjacency.transpose)


def normalized_adjacency(n_users, n_items, users, items, device="cpu"):
    """``D^-1/2 A D^-1/2`` of the user-item bipartite graph (users first, then items), as RecBole's LightGCN
    builds it: each distinct pair is one undirected edge of weight 1, degree + 1e-7, float64 products cast
    to float32. Built with scipy's COO constructor instead of RecBole's dok matrix (seconds on ML-1M)."""
    n = n_users + n_items
    pairs = sp.coo_matrix((np.ones(len(users), dtype=np.float32), (users, items + n_users)), shape=(n, n)).tocsr()
    pairs.data[:] = 1.0  # a repeated interaction is still one edge
    graph = (pairs + pairs.T).tocsr()
    graph.data[:] = 1.0
    inverse_sqrt = np.power(np.diff(graph.indptr).astype(np.float64) + 1e-7, -0.5)  # distinct neighbours
    graph = graph.tocoo()
    values = (inverse_sqrt[graph.row] * graph.data.astype(np.float64)) * inverse_sqrt[graph.col]
    return Adjacency.from_scipy(sp.coo_matrix((values, (graph.row, graph.col)), shape=(n, n)), device)
