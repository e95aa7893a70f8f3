"""``python -m garcon``: the ``garcon`` command (see :mod:`garcon.cli`)."""

import sys

from garcon import cli

if __name__ == '__main__':
    sys.exit(cli.main())
