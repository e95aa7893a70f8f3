"""A flow with one slow task, for the CLI's shutdown and timeout tests.

``nap`` sleeps ``seconds`` (input, 1 by default) and returns
``{'napped': seconds}``.
"""

import time

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'cli_slow'
create = activity.create(domain, name)


@task.decorate(timeout=60)
def nap(activity, seconds):
    seconds = 1 if seconds is None else seconds
    time.sleep(seconds)
    return {'napped': seconds}


sleeper = create(name='nap', run=runner.Sync(nap.fill(seconds='seconds')))
