"""Time one decision of a Garcon decider over a recorded decision task.

Run as a script, in the interpreter of the library to measure: this
project (``PYTHONPATH`` set to its checkout) or Garcon 0.4.1 (in its own
virtual environment). Both have the import name ``garcon``, hence one
process each. The decider is built with ``register=False`` and its poll
and respond calls are replaced, so no network is involved; what is timed
is ``DeciderWorker.run()``: the poll (which returns the recorded task),
reading the history, deciding, and the respond (which records the
decisions).

Prints one JSON object on stdout: the times, the peak memory and a summary
of the decisions made (to check that both libraries decide the same).
"""

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))

# Garcon 0.4.1 builds a boto connection in every activity and decider: it
# needs credentials, though nothing is sent.
DUMMY_ENVIRONMENT = {
    'AWS_ACCESS_KEY_ID': 'benchmark', 'AWS_SECRET_ACCESS_KEY': 'benchmark',
    'AWS_DEFAULT_REGION': 'us-east-1'}


def load_flow(name):
    sys.path.insert(0, HERE)
    import flows
    return flows.FLOWS[name]


#: Events in one page of history, as on SWF.
PAGE_SIZE = 1000


class FakeSWF(object):
    """Answer a decider's polls with one decision task, paged as SWF pages
    it: at most :data:`PAGE_SIZE` events a page, newest first when the
    poll asks for ``reverse_order``.

    Args:
        task (dict): the decision task, with all its events.
    """

    def __init__(self, task):
        self.task = task
        self.newest_first = task['events'][::-1]
        self.polls = 0
        self.responses = []

    def poll(self, identity=None, maximum_page_size=None,
             next_page_token=None, reverse_order=None):
        self.polls += 1
        events = self.newest_first if reverse_order else self.task['events']
        start = int(next_page_token or 0)
        size = maximum_page_size or PAGE_SIZE
        page = dict(self.task, events=events[start:start + size])
        page.pop('nextPageToken', None)
        if start + size < len(events):
            page['nextPageToken'] = str(start + size)
        return page

    def complete(self, *args, **kwargs):
        self.responses.append(kwargs.get('decisions', args[-1:] or None))


def new_decider(flow):
    """Build a decider that never talks to SWF (its polls and responds are
    replaced by :meth:`answer`'s)."""
    from garcon import decider
    return decider.DeciderWorker(flow, register=False)


def answer(worker, task):
    """Make the decider's next poll get ``task``; return the fake SWF."""
    swf = FakeSWF(task)
    worker.poll = swf.poll
    worker.complete = swf.complete
    return swf


def previous_task(task):
    """Return the decision task before ``task`` (the same execution, its
    history up to the previous decision)."""
    previous = task['previousStartedEventId']
    return dict(task, events=task['events'][:previous],
                startedEventId=previous, previousStartedEventId=0)


def ready_decider(flow, task, warm):
    """Return a decider about to decide ``task``: a new one, or (warm) one
    that made the previous decision of the execution."""
    worker = new_decider(flow)
    if warm:
        answer(worker, previous_task(task))
        worker.run()
    return worker


def one_decision(flow, task, warm=False):
    """Return (seconds, cpu seconds, fake SWF) of one decision."""
    worker = ready_decider(flow, task, warm)
    swf = answer(worker, task)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    worker.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, swf


def peak_memory(flow, task, warm=False):
    """Return the tracemalloc peak, in bytes, of one decision."""
    worker = ready_decider(flow, task, warm)
    answer(worker, task)
    gc.collect()
    tracemalloc.start()
    try:
        worker.run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def summarize(responses):
    """Describe the decisions sent: their types and activity ids."""
    summary = []
    for decisions in responses:
        for decision in getattr(decisions, '_data', decisions) or ():
            attributes = decision.get(
                'scheduleActivityTaskDecisionAttributes', {})
            summary.append(
                [decision['decisionType'], attributes.get('activityId')])
    return summary


def measure(flow_name, task_path, warm, min_runs, min_seconds, max_runs,
            memory):
    flow = load_flow(flow_name)
    with open(task_path) as task_file:
        task = json.load(task_file)
    one_decision(flow, task, warm)  # Warm-up: imports, interpreter caches.
    runs, swf = [], None
    started = time.perf_counter()
    while len(runs) < max_runs and (
            len(runs) < min_runs
            or time.perf_counter() - started < min_seconds):
        wall, cpu, swf = one_decision(flow, task, warm)
        runs.append([wall, cpu])
    import garcon
    return {
        'library': os.path.dirname(os.path.abspath(garcon.__file__)),
        'python': sys.version.split()[0],
        'events': len(task['events']),
        'warm': warm,
        'runs': runs,
        'polls': swf.polls,
        'decisions': summarize(swf.responses),
        'peak_bytes': peak_memory(flow, task, warm) if memory else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('flow')
    parser.add_argument('task', help='a JSON file: the decision task')
    parser.add_argument('--min-runs', type=int, default=3)
    parser.add_argument('--max-runs', type=int, default=50)
    parser.add_argument('--min-seconds', type=float, default=1.0)
    parser.add_argument('--memory', action='store_true')
    parser.add_argument(
        '--warm', action='store_true',
        help='time a decider that made the previous decision of the '
             'execution (default: a new decider)')
    args = parser.parse_args(argv)
    for name, value in DUMMY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    print(json.dumps(measure(
        args.flow, args.task, args.warm, args.min_runs, args.min_seconds,
        args.max_runs, args.memory)))


if __name__ == '__main__':
    main()
