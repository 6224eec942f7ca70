"""Graph propagation: RecBole's COO product against this package's CSR propagation and the bare kernel.

    python benchmarks/propagation_cost.py --datasets=ml-1m-implicit,dbbook --threads=1 [--epochs]

Part 1, one propagation step (``n_layers`` products forward, then backward), on each dataset's training
graph (the split's ``.train.inter``), all three ways in this process, round-robin, median of ``--repeats``:

* ``coo``: RecBole's LightGCN, ``torch.sparse.mm`` on the coalesced COO tensor with autograd's backward;
* ``ours``: :func:`recbole_darec.model.graph.propagate` on the :class:`Adjacency` (CSR, transposed backward);
* ``kernel``: the sparse products alone, no autograd (``n_layers`` forward plus ``n_layers`` transposed
  products): the limit any propagation can reach with these kernels.

It also prints how far the three agree (largest absolute difference of outputs and input gradients), and the
cost of one edge dropout at ``--keep_rate`` (RLMRec's LightGCN form drops edges at every training step): a COO
tensor of the kept entries built by boolean masks, as RLMRec builds its dropped graph, against
:meth:`Adjacency.drop_edges` (the kept matrix and its transpose, both CSR).

Part 2 (``--epochs``): whole training epochs of RecBole's own ``LightGCN`` class, of ours (same config, same
initial weights, same trainer), of ``DaRecLightGCN`` and of ``AlphaRec`` (same batches), round-robin, one
warm-up epoch each, median of ``--rounds``; and the time to build the normalised adjacency both ways.
Settings: ``--config_files`` (default RLMRec's protocol: embedding 32, batch 4096, 3 layers).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import pandas as pd
import torch


def training_graph(data_path, dataset):
    """(n_users, n_items, users, items) of ``<dataset>.train.inter``, ids numbered in order of appearance."""
    path = os.path.join(data_path, dataset, f"{dataset}.train.inter")
    if not os.path.isfile(path):
        sys.exit(f"{path} is missing: convert the dataset first (dataset/README.md).")
    frame = pd.read_csv(path, sep="\t", dtype=str, usecols=[0, 1])
    users, user_ids = pd.factorize(frame.iloc[:, 0])
    items, item_ids = pd.factorize(frame.iloc[:, 1])
    return len(user_ids), len(item_ids), users, items


def round_robin_medians(ways, repeats):
    """Median seconds of each callable of ``ways``, timed in turn ``repeats`` times (so load drifts hit all alike)."""
    times = {name: [] for name in ways}
    for _ in range(repeats):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def step_times(n_users, n_items, users, items, dim, n_layers, repeats):
    from recbole_darec.model.graph import normalized_adjacency, propagate

    ours = normalized_adjacency(n_users, n_items, users, items)
    coo = ours.matrix.to_sparse_coo().coalesce()
    generator = torch.Generator().manual_seed(0)
    ego = torch.randn(ours.size[0], dim, generator=generator)
    upstream = torch.randn(ours.size[0], dim, generator=generator)

    def autograd_step(product):
        x = ego.clone().requires_grad_()
        out = x
        for _ in range(n_layers):
            out = product(out)
        (out * upstream).sum().backward()  # the backward's input gradient is upstream: the kernel's transposed chain
        return out.detach(), x.grad

    def kernel_step():
        out = ego
        for _ in range(n_layers):
            out = torch.sparse.mm(ours.matrix, out)
        grad = upstream
        for _ in range(n_layers):
            grad = torch.sparse.mm(ours.transpose, grad)
        return out, grad

    ways = {
        "coo": lambda: autograd_step(lambda x: torch.sparse.mm(coo, x)),
        "ours": lambda: autograd_step(lambda x: propagate(ours, x)),
        "kernel": kernel_step,
    }
    results = {name: way() for name, way in ways.items()}  # warm-up, and the numbers compared below
    medians = round_robin_medians(ways, repeats)
    agreement = {
        "output": (results["coo"][0] - results["ours"][0]).abs().max().item(),
        "gradient": (results["coo"][1] - results["ours"][1]).abs().max().item(),
    }
    return medians, ours.nnz(), agreement


def dropout_times(n_users, n_items, users, items, keep_rate, repeats):
    from recbole_darec.model.graph import normalized_adjacency

    ours = normalized_adjacency(n_users, n_items, users, items)
    coo = ours.matrix.to_sparse_coo().coalesce()
    indices, values = coo.indices(), coo.values()

    def masked_coo():
        keep = torch.rand(len(values)) < keep_rate
        return torch.sparse_coo_tensor(indices[:, keep], values[keep] / keep_rate, coo.shape, check_invariants=False)

    ways = {"coo masks": masked_coo, "ours": lambda: ours.drop_edges(keep_rate)}
    return round_robin_medians(ways, repeats)


def epoch_times(dataset, data_path, config_files, rounds):
    from recbole.model.general_recommender import LightGCN as RecBoleLightGCN

    from recbole_darec.quick_start import build_untrained
    from recbole_darec.trainer import get_trainer

    scratch = tempfile.mkdtemp(prefix="propagation_cost_")
    built = {}
    for name in ("LightGCN", "DaRecLightGCN", "AlphaRec"):
        settings = {"state": "ERROR", "show_progress": False, "checkpoint_dir": scratch, "data_path": data_path}
        config, net, train_data, _ = build_untrained(name, dataset, config_files, settings)
        built[name] = (get_trainer(config, net)(config, net), train_data)
        if name == "LightGCN":
            start = time.perf_counter()
            theirs = RecBoleLightGCN(config, train_data._dataset)
            build_seconds = {"RecBole LightGCN": time.perf_counter() - start}
            theirs.load_state_dict(net.state_dict())
            built["RecBole LightGCN"] = (get_trainer(config, theirs)(config, theirs), train_data)
    start = time.perf_counter()
    built["LightGCN"][0].model.get_norm_adj_mat()
    build_seconds["LightGCN"] = time.perf_counter() - start
    times = {name: [] for name in built}
    for epoch in range(rounds + 1):
        for name, (trainer, train_data) in built.items():
            start = time.perf_counter()
            trainer._train_epoch(train_data, epoch)
            if epoch:  # epoch 0 is the warm-up
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, build_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-1m-implicit,dbbook")
    parser.add_argument("--data_path", default="dataset")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--n_layers", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", action="store_true", help="also time whole epochs (part 2)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep_rate", type=float, default=0.8, help="edge dropout's keep rate (RLMRec's 0.8)")
    parser.add_argument("--config_files", default="properties/protocol/rlmrec.yaml")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from recbole_darec.runtime import reuse_freed_memory

    reuse_freed_memory()  # as every training run does (reuse_freed_memory: True), so allocation is not timed
    os.environ["RECBOLE_DAREC_THREADS"] = str(args.threads)  # the epoch part's configure_runtime reads it
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.dim}-d, {args.n_layers} layers, "
        "freed memory reused"
    )
    print("\n### One propagation step (forward and backward), median seconds\n")
    print(
        "| dataset | nodes | entries | coo (RecBole) | ours | kernel | coo / ours | ours / kernel "
        "| max diff out / grad |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        n_users, n_items, users, items = training_graph(args.data_path, dataset)
        median, nnz, diff = step_times(n_users, n_items, users, items, args.dim, args.n_layers, args.repeats)
        print(
            f"| {dataset} | {n_users + n_items:,} | {nnz:,} | {median['coo']:.4f} | {median['ours']:.4f} | "
            f"{median['kernel']:.4f} | **{median['coo'] / median['ours']:.2f}** | "
            f"**{median['ours'] / median['kernel']:.2f}** | {diff['output']:.1e} / {diff['gradient']:.1e} |",
            flush=True,
        )
    print(f"\n### One edge dropout (keep rate {args.keep_rate}), median seconds\n")
    print("| dataset | coo masks (RLMRec's way; matrix only) | ours (matrix and transpose) | masks / ours |")
    print("|---|---|---|---|")
    for dataset in args.datasets.split(","):
        median = dropout_times(*training_graph(args.data_path, dataset), args.keep_rate, args.repeats)
        masks, ours = median["coo masks"], median["ours"]
        print(f"| {dataset} | {masks:.4f} | {ours:.4f} | **{masks / ours:.2f}** |", flush=True)
    if not args.epochs:
        return
    print(f"\n### Whole training epochs ({args.config_files}), median seconds of {args.rounds}\n")
    print(
        "| dataset | RecBole LightGCN | our LightGCN | DaRecLightGCN | AlphaRec | RecBole / ours | DaRec / ours | "
        "AlphaRec / ours | graph build RecBole / ours (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        median, build = epoch_times(dataset, args.data_path, args.config_files.split(), args.rounds)
        recbole, ours, darec = median["RecBole LightGCN"], median["LightGCN"], median["DaRecLightGCN"]
        alpharec = median["AlphaRec"]
        print(
            f"| {dataset} | {recbole:.2f} | {ours:.2f} | {darec:.2f} | {alpharec:.2f} | **{recbole / ours:.2f}** | "
            f"**{darec / ours:.2f}** | **{alpharec / ours:.2f}** | "
            f"{build['RecBole LightGCN']:.1f} / {build['LightGCN']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
