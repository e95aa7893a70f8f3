"""An activity whose first attempt stops heartbeating and times out."""

import threading

from garcon import activity
from garcon import runner
from garcon import task
from tests import flows

domain = 'dev'
name = 'heartbeat_flow'
create = activity.create(domain, name)

attempts = []
release = threading.Event()

slow_then_fast = task.timeout(30, heartbeat=1)(
    flows.hangs_once(attempts, release))

work = create(name='work', retry=1, run=runner.Sync(slow_then_fast))
