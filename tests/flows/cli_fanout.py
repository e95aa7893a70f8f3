"""A fan-out for the CLI tests: one instance per number, one retry.

``square`` has one instance per number in ``range(count)`` (input
``count``, 4 by default). The instance of number 1 fails its first attempt
(counted in this process: ``garcon run`` runs the workers in its own
process), so the run shows a retry.
"""

import threading

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'cli_fanout'
create = activity.create(domain, name)

_attempts = {}
_lock = threading.Lock()


def numbers(context):
    for number in range(context.get('count', 4)):
        yield {'generator.number': number}


@task.decorate(timeout=30)
def square_number(activity, number):
    with _lock:
        _attempts[number] = _attempts.get(number, 0) + 1
        attempt = _attempts[number]
    if number == 1 and attempt == 1:
        raise RuntimeError('number 1 fails its first attempt')
    return {'square.{}'.format(number): number * number}


prepare = create(
    name='prepare',
    run=runner.Sync(lambda context, activity: {'prepared': True}))

square = create(
    name='square',
    requires=[prepare],
    generators=[numbers],
    retry=1,
    run=runner.Sync(square_number.fill(number='generator.number')))

total = create(
    name='total',
    requires=[square],
    run=runner.Sync(lambda context, activity: {
        'total': sum(value for key, value in context.items()
                     if key.startswith('square.'))}))
