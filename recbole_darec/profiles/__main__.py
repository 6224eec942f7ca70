"""Build profile texts and vectors for a dataset, or audit them for leakage into held-out splits.

    python -m recbole_darec.profiles --dataset=ml-100k
    python -m recbole_darec.profiles --dataset=lastfm --source=import \\
        --user_src=../shared/datasets/lastfm-colakg/llm_response_user.json \\
        --user_map=../shared/datasets/lastfm-colakg/user_map.txt \\
        --item_src=../shared/datasets/lastfm-colakg/llm_response_item.json \\
        --item_map=../shared/datasets/lastfm-colakg/item_map.txt
    python -m recbole_darec.profiles --dataset=ml-100k --source=generate --profile_generator=<causal LM path>
    python -m recbole_darec.profiles audit --dataset=lastfm [--format=json] [--item_names=<id<TAB>name file>]

Other ``--key=value`` pairs override the configuration (e.g. --profile_encoder_threads=2, --data_path=...).
"""

import argparse
import json
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    audit = bool(argv) and argv[0] == "audit"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--config_files", default=None)
    if audit:
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--item_names", default=None, help="file of item_id<TAB>name lines")
    else:
        parser.add_argument(
            "--encoder",
            default=None,
            help="sentence-transformers name or local path (default: the packaged all-MiniLM-L6-v2)",
        )
        parser.add_argument("--source", default="auto", help="auto | import | construct | generate")
        parser.add_argument("--kinds", default="user,item")
        parser.add_argument("--user_src")
        parser.add_argument("--item_src")
        parser.add_argument("--user_map", help="'raw_id mapped_id' file when --user_src uses mapped ids")
        parser.add_argument("--item_map", help="'raw_id mapped_id' file when --item_src uses mapped ids")
        parser.add_argument("--force", action="store_true", help="re-encode even if the cache is fresh")
    args, settings = parser.parse_known_args(argv[1:] if audit else argv)

    from recbole_darec.checks import ConfigError
    from recbole_darec.cli import config_file_list, name_list, parse_overrides
    from recbole_darec.config import Config
    from recbole_darec.data import AtomicFileError, DatasetError, DatasetNotFoundError
    from recbole_darec.data.files import ensure_atomic_files
    from recbole_darec.outputs import start_logging
    from recbole_darec.profiles import ProfileError, VectorStore, audit_profiles, ensure_profile_embeddings
    from recbole_darec.profiles.audit import format_report, warning_text

    try:
        config_dict = parse_overrides(settings)
        if not audit and args.encoder:
            config_dict["profile_encoder"] = args.encoder
        config = Config(
            model="LightGCN",
            dataset=args.dataset,
            config_dict=config_dict,
            config_file_list=config_file_list(args.config_files),
        )
        start_logging(config)
        ensure_atomic_files(config)
        if audit:
            report = audit_profiles(config, args.item_names)
        else:
            kinds = name_list(args.kinds)
            status = ensure_profile_embeddings(
                config,
                kinds,
                force=args.force,
                source=args.source,
                user_src=args.user_src,
                item_src=args.item_src,
                user_map=args.user_map,
                item_map=args.item_map,
            )
    except (ProfileError, ConfigError, DatasetError, DatasetNotFoundError, AtomicFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if audit:
        if args.format == "json":
            print(json.dumps(report))
            for line in warning_text(report):
                print(line, file=sys.stderr)
        else:
            print(format_report(report))
        return 0
    for kind in kinds:
        print(f"{kind}: {status[kind]} -> {VectorStore(config['data_path'], config['dataset'], kind).path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
