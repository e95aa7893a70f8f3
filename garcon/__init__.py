"""Garcon: a lightweight library for Amazon Simple Workflow (SWF).

Write a flow as a plain module (a ``domain``, a ``name`` and activities made
with :func:`garcon.activity.create`); Garcon provides the decider and the
activity workers.
"""

# boto 2 does not import on Python 3.12+ without a few patches; they must be
# in place before any Garcon module imports boto.
from garcon import compat as _compat

_compat.apply()

__version__ = '0.5.0.dev0'
