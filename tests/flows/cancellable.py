"""A flow to cancel while its first activity is in flight.

``hold`` sets :data:`started` and then blocks until :data:`release` is set
(10 s at most), so a test can request a cancel while it runs; ``after``
requires it and, once the cancel is honoured, must never run (each run is
counted in :data:`after_runs`). Call :func:`reset` before each test.
"""

import threading

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'cancellable'
create = activity.create(domain, name)

#: Seconds ``hold`` blocks at most when nobody releases it.
HOLD_TIMEOUT = 10

#: Set when ``hold`` starts.
started = threading.Event()

#: Set to let ``hold`` finish.
release = threading.Event()

#: How many times ``after`` ran.
after_runs = []


def reset():
    """Forget what a previous test did."""
    started.clear()
    release.clear()
    del after_runs[:]


def hold_task(context, activity):
    started.set()
    released = release.wait(HOLD_TIMEOUT)
    return {'held': True, 'released': released}


def after_task(context, activity):
    after_runs.append(context.get('execution.workflow_id'))
    return {'after': True}


hold = create(name='hold', run=runner.Sync(hold_task))

after = create(name='after', requires=[hold], run=runner.Sync(after_task))
