"""An activity whose worker process can be killed mid-task.

In a process where GARCON_TEST_HANG names a file, the task creates that
file (so the test knows the task is running) and then hangs until the
process is killed. Elsewhere it completes at once. The heartbeat timeout is
one second, so SWF notices a killed worker quickly.
"""

import os
import threading

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'killable'
create = activity.create(domain, name)


@task.timeout(60, heartbeat=1)
def work_task(context, activity):
    marker = os.environ.get('GARCON_TEST_HANG')
    if marker:
        with open(marker, 'w') as handle:
            handle.write(str(os.getpid()))
        threading.Event().wait()
    return {'worked_in': os.getpid()}


work = create(name='work', retry=1, run=runner.Sync(work_task))
