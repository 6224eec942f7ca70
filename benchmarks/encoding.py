"""Profile-encoding throughput (texts/s, tokens/s) for thread counts and batch sizes.

    python benchmarks/encoding.py --dataset=ml-100k --threads=1,2 --batch_sizes=32,64,128
    python benchmarks/encoding.py --dataset=lastfm --kinds=user,item

Reads the profile texts already written beside the dataset (run ``python -m
recbole_darec.profiles --dataset=<name>`` first) and encodes them with the configured
encoder, without touching the cached vectors.
"""

import argparse
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data_path", default="dataset")
    parser.add_argument("--kinds", default="item,user")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batch_sizes", default="64")
    parser.add_argument("--limit", type=int, default=0, help="encode at most this many texts per kind")
    parser.add_argument("--encoder", default=None)
    args = parser.parse_args()

    from recbole_darec.filenames import text_path
    from recbole_darec.profiles.encoder import DEFAULT_ENCODER, TextEncoder
    from recbole_darec.profiles.texts import read_texts

    encoder = TextEncoder(args.encoder or DEFAULT_ENCODER)
    print(f"encoder: {encoder.name} ({encoder.path})")
    print("| texts | n | mean words | threads | batch | seconds | texts/s | tokens/s |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        texts = list(read_texts(text_path(os.path.join(args.data_path, args.dataset), args.dataset, kind)).values())
        if args.limit:
            texts = texts[: args.limit]
        tokens = encoder.count_tokens(texts)
        words = sum(len(t.split()) for t in texts) / len(texts)
        encoder.encode(texts[:64], show_progress=False)  # warm-up: model load, first-call allocations
        for threads in map(int, args.threads.split(",")):
            for batch in map(int, args.batch_sizes.split(",")):
                encoder.threads, encoder.batch_size = threads, batch
                encoder.encode(texts, show_progress=False)
                sec = encoder.last_seconds
                print(
                    f"| {args.dataset} {kind} | {len(texts)} | {words:.0f} | {threads} | {batch} | {sec:.1f} | "
                    f"{len(texts) / sec:.0f} | {tokens / sec:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
