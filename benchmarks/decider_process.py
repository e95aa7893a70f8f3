"""Run a Garcon decider against an SWF endpoint until an execution closes.

Run as a script, in the interpreter of the library to measure (see
:mod:`measure_decision`): this project or Garcon 0.4.1. The decider is the
library's own ``DeciderWorker(flow, register=False)``, looping on ``run()``
as a decider process does; the only thing added is a wrapper around its
respond call, which counts the decisions and notices the one that closes
the execution, and around its poll call, which counts the polls (history
pages included).

Prints ``ready`` once set up (the driver then starts the execution), and
at the end one JSON object: the CPU time the process spent from ``ready``
on, the number of decision tasks answered and the wall time.
"""

import argparse
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
CLOSING = ('CompleteWorkflowExecution', 'FailWorkflowExecution',
           'CancelWorkflowExecution')
REGION = 'us-east-1'


def connect(endpoint):
    """Return a boto Layer1 on the endpoint, made with boto alone (as any
    boto 2 program would point at a non-AWS SWF)."""
    from boto.regioninfo import RegionInfo
    from boto.swf.layer1 import Layer1
    url = urlsplit(endpoint)
    connection = Layer1(
        'benchmark', 'benchmark', is_secure=False, port=url.port,
        region=RegionInfo(name=REGION, endpoint=url.hostname))
    connection.auth_service_name = 'swf'
    connection.auth_region_name = REGION
    return connection


class Counter(object):
    """Count the decisions a decider sends; notice the closing one.

    A decider with a batch window sends some answers from a thread of its
    own: the counts are kept under a lock.
    """

    def __init__(self, worker):
        lock = threading.Lock()
        self.decision_tasks = 0
        self.polls = 0
        self.scheduled = 0
        self.closed = None
        complete = worker.complete
        poll = worker.poll

        def counted_poll(*args, **kwargs):
            self.polls += 1
            return poll(*args, **kwargs)

        def counted_complete(*args, **kwargs):
            result = complete(*args, **kwargs)
            decisions = kwargs.get('decisions', args[-1] if args else None)
            kinds = [decision.get('decisionType') for decision in
                     getattr(decisions, '_data', None) or ()]
            with lock:
                self.decision_tasks += 1
                self.scheduled += kinds.count('ScheduleActivityTask')
                for kind in kinds:
                    if kind in CLOSING:
                        self.closed = kind
            return result

        worker.complete = counted_complete
        worker.poll = counted_poll


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('flow')
    parser.add_argument('endpoint')
    parser.add_argument('--timeout', type=float, default=300)
    parser.add_argument('--profile', metavar='FILE',
                        help='write a cProfile of the decisions there')
    args = parser.parse_args(argv)
    for name in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'):
        os.environ.setdefault(name, 'benchmark')
    os.environ.setdefault('AWS_DEFAULT_REGION', REGION)

    sys.path.insert(0, HERE)
    import flows
    from garcon import decider
    worker = decider.DeciderWorker(flows.FLOWS[args.flow], register=False)
    try:
        from garcon import batching
    except ImportError:  # Garcon 0.4.1
        pass
    else:
        # As garcon decider runs it.
        worker.batch_window = batching.DEFAULT_WINDOW
    worker._swf = connect(args.endpoint)
    counter = Counter(worker)

    profile = None
    if args.profile:
        import cProfile
        profile = cProfile.Profile()
    print('ready', flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + args.timeout
    if profile:
        profile.enable()
    while counter.closed is None and time.perf_counter() < deadline:
        worker.run(identity='benchmark-decider')
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    print(json.dumps({
        'cpu_seconds': time.process_time() - cpu,
        'wall_seconds': time.perf_counter() - wall,
        'decision_tasks': counter.decision_tasks,
        'polls': counter.polls,
        'scheduled': counter.scheduled,
        'closed': counter.closed,
    }), flush=True)
    return 0 if counter.closed else 1


if __name__ == '__main__':
    sys.exit(main())
