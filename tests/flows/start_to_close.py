"""An activity whose first attempt hangs past its start-to-close timeout.

Its heartbeat timeout is longer than its start-to-close: SWF times the
first attempt out by START_TO_CLOSE, and the decider retries it.
"""

import threading

from garcon import activity
from garcon import runner
from garcon import task
from tests import flows

domain = 'dev'
name = 'start_to_close_flow'
create = activity.create(domain, name)

attempts = []
release = threading.Event()

hang_then_finish = task.timeout(1, heartbeat=30)(
    flows.hangs_once(attempts, release))

work = create(name='work', retry=1, run=runner.Sync(hang_then_finish))
