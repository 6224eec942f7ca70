"""``python -m recbole_darec <command> [options]`` (installed as ``recbole-darec <command>`` too).

Commands: run (train and test one model), compare, benchmark, evaluate, leaderboard, convert, profiles, hyper,
robustness_report, synthetic (a dataset with known shared and specific profile parts).
``python -m recbole_darec <command> --help`` tells each one's options.
"""

import importlib
import sys

COMMANDS = {
    "run": "recbole_darec.run",
    "compare": "recbole_darec.compare",
    "benchmark": "recbole_darec.benchmark",
    "evaluate": "recbole_darec.evaluate",
    "leaderboard": "recbole_darec.leaderboard",
    "convert": "recbole_darec.convert.cli",
    "profiles": "recbole_darec.profiles.__main__",
    "hyper": "recbole_darec.hyper",
    "robustness_report": "recbole_darec.robustness_report",
    "synthetic": "recbole_darec.synthetic",
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
