"""A generator of 3,000 instances: more than SWF lets be open at once."""

import collections
import threading

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'big_fan_out'
create = activity.create(domain, name)

runs = collections.Counter()
lock = threading.Lock()


def items(context):
    for item in range(context.get('items', 3000)):
        yield {'item': item}


def count(context, activity):
    with lock:
        runs[context['item']] += 1


fan_out = create(name='fan_out', generators=[items], run=runner.Sync(count))

done = create(
    name='done',
    requires=[fan_out],
    run=runner.Sync(lambda context, activity: {'done': True}))
