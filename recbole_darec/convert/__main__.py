"""``python -m recbole_darec.convert``."""

import sys

from recbole_darec.convert.cli import main

sys.exit(main())
