"""A flow whose decider can be made to hang mid-decision.

In a process where GARCON_TEST_HANG names a file, the generator (evaluated
while deciding) creates that file and hangs until the process is killed.
"""

import os
import threading

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'slow_decider'
create = activity.create(domain, name)


def parts(context):
    marker = os.environ.get('GARCON_TEST_HANG')
    if marker:
        with open(marker, 'w') as handle:
            handle.write(str(os.getpid()))
        threading.Event().wait()
    for part in range(3):
        yield {'part': part}


first = create(
    name='first',
    run=runner.Sync(lambda context, activity: {'first': 'done'}))

fan_out = create(
    name='fan_out',
    requires=[first],
    generators=[parts],
    run=runner.Sync(lambda context, activity: {
        'part.{}'.format(context['part']): True}))
