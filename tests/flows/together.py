"""A fan-out whose instances all finish together, once all have started."""

import threading

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'together'
create = activity.create(domain, name)

INSTANCES = 8
barrier = threading.Barrier(INSTANCES)


def items(context):
    for item in range(INSTANCES):
        yield {'item': item}


def meet(context, activity):
    barrier.wait(timeout=30)
    return {}


fan_out = create(name='fan_out', generators=[items], run=runner.Sync(meet))

done = create(
    name='done',
    requires=[fan_out],
    run=runner.Sync(lambda context, activity: {'done': True}))
