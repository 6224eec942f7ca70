"""Is there a faster encoding path that writes the same bytes? float64 (the package's) against float32, under several
instruction sets and thread counts.

    python benchmarks/encoding_precision.py --dataset=lastfm --kind=item --limit=320 [--threads=1,2] [--dry_run]

Each configuration encodes the same texts in a process of its own (the instruction sets are chosen by environment
variables read when torch and MKL load): the seconds it took and the sha256 of the vector lines as the package
writes them (7 significant digits), so "same bytes" means the vector file would be identical. The instruction sets
are emulated on this CPU: ATen's kernels by ``ATEN_CPU_CAPABILITY``, MKL's by ``MKL_ENABLE_INSTRUCTIONS`` and
oneDNN's by ``DNNL_MAX_CPU_ISA``; ``MKL_CBWR=COMPATIBLE`` asks MKL for results that do not depend on the CPU.
The vectors are thrown away; nothing in the dataset folder changes. docs/results/encoding.md keeps the figures.
"""

import argparse
import hashlib
import json
import os
import sys
import time

from child import run_child

# the machine's own kernels, then two older instruction sets as a different CPU would run them
INSTRUCTION_SETS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"},
    "sse4.2": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "DNNL_MAX_CPU_ISA": "SSE41"},
}
# the float32 candidates: plain, and with every CPU-dependent choice pinned (MKL's reproducible mode, ATen's
# portable kernels)
PRECISIONS = {
    "float64": {},
    "float32": {},
    "float32, pinned": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"},
}


def encode(dataset, data_path, kind, limit, precision, threads):
    """One configuration in this process: ``{"seconds", "sha256"}`` of the texts' vector lines."""
    import torch
    from sentence_transformers import SentenceTransformer

    from recbole_darec.filenames import text_path
    from recbole_darec.profiles.encoder import DEFAULT_ENCODER, resolve_encoder_path
    from recbole_darec.profiles.store import format_vector
    from recbole_darec.profiles.texts import read_texts

    torch.set_num_threads(threads)
    texts = list(read_texts(text_path(os.path.join(data_path, dataset), dataset, kind)).values())[:limit]
    dtype = torch.float64 if precision == "float64" else torch.float32
    model = SentenceTransformer(resolve_encoder_path(DEFAULT_ENCODER), device="cpu").to(dtype)
    model.encode(texts[:16], batch_size=16, show_progress_bar=False)  # warm-up
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=16, show_progress_bar=False, convert_to_numpy=True)
    seconds = time.perf_counter() - start
    lines = "".join(format_vector(row.astype("float64")) + "\n" for row in vectors)  # as the files hold them
    return {"seconds": seconds, "texts": len(texts), "sha256": hashlib.sha256(lines.encode()).hexdigest()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="lastfm")
    parser.add_argument("--data_path", default="dataset")
    parser.add_argument("--kind", default="item", choices=["item", "user"])
    parser.add_argument("--limit", type=int, default=320, help="encode the first this many texts")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--dry_run", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: precision,threads of one child process
    args = parser.parse_args()
    if args.measure:
        precision, threads = args.measure.rsplit(",", 1)
        print(json.dumps(encode(args.dataset, args.data_path, args.kind, args.limit, precision, int(threads))))
        return 0
    plan = [
        (precision, isa, int(threads))
        for precision in PRECISIONS
        for isa in INSTRUCTION_SETS
        for threads in args.threads.split(",")
    ]
    if args.dry_run:
        for precision, isa, threads in plan:
            print(f"encode {args.limit} {args.dataset} {args.kind} texts: {precision}, {isa}, {threads} thread(s)")
        return 0
    print(f"{args.limit} {args.dataset} {args.kind} texts, batch 16\n")
    print("| precision | instruction sets | threads | seconds | texts/s | x float64 native | sha256 of the lines |")
    print("|---|---|---|---|---|---|---|")
    reference = {}
    for precision, isa, threads in plan:
        env = {**os.environ, **INSTRUCTION_SETS[isa], **PRECISIONS[precision]}
        child = [sys.executable, __file__, f"--measure={precision},{threads}", f"--dataset={args.dataset}"]
        child += [f"--data_path={args.data_path}", f"--kind={args.kind}", f"--limit={args.limit}"]
        row, error = run_child(child, env=env)
        if error:
            print(f"| {precision} | {isa} | {threads} | failed: {error} |")
            continue
        if precision == "float64" and isa == "native":
            reference[threads] = row["seconds"]
        ratio = f"{row['seconds'] / reference[threads]:.2f}" if threads in reference else "–"
        print(
            f"| {precision} | {isa} | {threads} | {row['seconds']:.1f} | {row['texts'] / row['seconds']:.1f} "
            f"| {ratio} | {row['sha256'][:12]} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
