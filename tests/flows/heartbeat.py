"""An activity whose first attempt stops heartbeating and times out."""

import threading

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'heartbeat_flow'
create = activity.create(domain, name)

attempts = []
release = threading.Event()


@task.timeout(30, heartbeat=1)
def slow_then_fast(context, activity):
    attempts.append(1)
    if len(attempts) == 1:
        # Hold the first attempt (no heartbeat) until the test has seen
        # it time out.
        release.wait(3)
        return {'attempt': 'first'}
    return {'attempt': 'second'}


work = create(name='work', retry=1, run=runner.Sync(slow_then_fast))
