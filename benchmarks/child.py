"""A measurement in a child process of its own (a clean peak memory, nothing carried over between models or
settings), read back from the JSON line it prints last. Shared by the benchmarks that measure one row a child."""

import json
import subprocess


def run_child(args, env=None):
    """``(row, None)`` from the child's last line of output, or ``(None, its last error line)`` if it failed."""
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}, no error output"]
        return None, lines[-1][:100]
    return json.loads(done.stdout.strip().splitlines()[-1]), None
