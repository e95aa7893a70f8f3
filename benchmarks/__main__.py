"""``python -m benchmarks``: run every benchmark and print the tables."""

import sys

from benchmarks import run

sys.exit(run.main())
