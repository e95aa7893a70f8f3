"""The flows the benchmarks run, written against Garcon's public 0.4 API.

This module is imported both by this project and by Garcon 0.4.1 (same
import name, each in its own interpreter), so it uses only what both
document: ``activity.create`` with ``tasks=``, ``runner.Sync`` and
``task.decorate``. Filled tasks keep each activity's input small (only the
generator's key and the ``execution.*`` keys), as a real flow would.

The fan-out size comes from the workflow input: ``{"n": N}``.
"""

import types

from garcon import activity
from garcon import runner
from garcon import task

DOMAIN = 'garcon-bench'


def index_generator(context):
    """One instance per index, as many as the workflow input's ``n``."""
    for index in range(int(context.get('n', 1))):
        yield {'generator.index': index}


@task.decorate(timeout=60)
def start_task(activity):
    return {'started': True}


@task.decorate(timeout=60)
def fan_out_task(activity, index):
    return {'last_index': index}


@task.decorate(timeout=60)
def end_task(activity):
    return {'finished': True}


def _flow(name, stages):
    """Build a flow object: ``stages`` lists (name, generators) in order,
    each activity requiring the one before it."""
    create = activity.create(DOMAIN, name)
    flow = types.SimpleNamespace(domain=DOMAIN, name=name)
    previous = None
    for stage, generators in stages:
        if generators:
            tasks = runner.Sync(fan_out_task.fill(index='generator.index'))
        elif previous is None:
            tasks = runner.Sync(start_task.fill())
        else:
            tasks = runner.Sync(end_task.fill())
        current = create(
            name=stage, requires=[] if previous is None else [previous],
            generators=generators, tasks=tasks)
        setattr(flow, stage, current)
        previous = current
    return flow


#: first -> fan_out (N instances) -> last.
fanout = _flow('fanout', [
    ('first', []), ('fan_out', [index_generator]), ('last', [])])

#: first -> fan_out_a (N) -> fan_out_b (N, requires fan_out_a) -> last.
chained = _flow('chained', [
    ('first', []), ('fan_out_a', [index_generator]),
    ('fan_out_b', [index_generator]), ('last', [])])

#: fan_out (N instances) alone: the activity throughput benchmark.
burst = _flow('burst', [('fan_out', [index_generator])])

FLOWS = {'fanout': fanout, 'chained': chained, 'burst': burst}
