"""Whole executions on the local SWF: a decider process of either library,
this project's activity workers, one server.

Each run gets a fresh ``garcon local-server`` process. The decider runs in
its own process (:mod:`decider_process`), with the interpreter of the
library measured; the activity workers are this project's, in threads of
this process.
"""

import collections
import contextlib
import json
import os
import subprocess
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: Seconds an empty poll waits on the local server.
POLL_TIMEOUT = 1


def register(flow, endpoint):
    """Register the flow's domain and types (this project's decider)."""
    from garcon import decider
    worker = decider.DeciderWorker(flow, register=False)
    worker.endpoint = endpoint
    worker.register()


def start_decider(python, environment, flow_name, endpoint, timeout,
                  profile=None):
    """Start a decider process; return it once it is ready."""
    command = [python, os.path.join(HERE, 'decider_process.py'), flow_name,
               endpoint, '--timeout', str(timeout)]
    if profile:
        command += ['--profile', profile]
    process = subprocess.Popen(
        command,
        env=environment, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if line.strip() != 'ready':
        process.kill()
        raise RuntimeError('The decider did not start: {!r}'.format(line))
    return process


def decider_result(process, timeout):
    """Wait for a decider process and return what it measured."""
    output, _ = process.communicate(timeout=timeout)
    lines = [line for line in output.splitlines() if line.startswith('{')]
    if not lines:
        raise RuntimeError('The decider printed no result.')
    return json.loads(lines[-1])


def activity_span(events, activity_name):
    """Return (count, seconds) from the first scheduling of an activity's
    tasks to the last completion."""
    scheduled, completed = [], []
    by_id = {}
    for event in events:
        kind = event['eventType']
        if kind == 'ActivityTaskScheduled':
            attributes = event['activityTaskScheduledEventAttributes']
            if attributes['activityType']['name'] == activity_name:
                by_id[event['eventId']] = True
                scheduled.append(event['eventTimestamp'])
        elif kind == 'ActivityTaskCompleted':
            attributes = event['activityTaskCompletedEventAttributes']
            if attributes['scheduledEventId'] in by_id:
                completed.append(event['eventTimestamp'])
    if not scheduled or not completed:
        return len(completed), None
    return len(completed), max(completed) - min(scheduled)


def run(library, flow_name, n, threads, timeout=300, bound_seconds=0,
        profile=None):
    """Run one execution of a flow to its end and measure it.

    Args:
        library (dict): ``python`` and ``environment`` of the decider's
            library.
        flow_name (str): a flow of :mod:`benchmarks.flows`.
        n (int): the fan-out size.
        threads (int): activity pollers per activity.
        timeout (float): seconds the execution may take.
        bound_seconds (float): measure the server's rate for a trivial call
            with ``threads`` clients this long first (0: do not).
        profile (str): where the decider writes a cProfile of its
            decisions (none by default).

    Returns:
        dict: the measures.
    """
    from benchmarks import flows
    from benchmarks import local_server
    from garcon import client as garcon_client
    from garcon import worker as garcon_worker

    flow = flows.FLOWS[flow_name]
    with local_server.LocalServer(ROOT, POLL_TIMEOUT) as server:
        endpoint = server.endpoint
        register(flow, endpoint)
        trivial = (trivial_call_rate(flow, endpoint, threads, bound_seconds)
                   if bound_seconds else None)
        environment = dict(library['environment'])
        decider = start_decider(
            library['python'], environment, flow_name, endpoint, timeout,
            profile)
        workers = garcon_worker.Workers(
            flow, decider=False, threads_per_activity=threads,
            register=False, endpoint=endpoint)
        worker_calls = CallCounter()
        workers.start()
        swf = garcon_client.Client(endpoint=endpoint)
        server_cpu = server.cpu_seconds()
        execution = swf.start(
            flow, input={'n': n},
            workflow_id='{}-{}'.format(flow_name, uuid.uuid4().hex),
            execution_timeout=int(timeout), decision_timeout=60)
        try:
            with worker_calls.counting():
                measured = decider_result(decider, timeout + 30)
            status = swf.wait(execution, timeout=timeout)
        finally:
            server_cpu = server.cpu_seconds() - server_cpu
            workers.stop(wait=True, timeout=POLL_TIMEOUT + 5)
            if decider.poll() is None:
                decider.kill()
        events = swf.history(execution)
    count, seconds = activity_span(events, '{}_fan_out'.format(flow_name))
    measured.update(
        status=status, events=len(events), fan_out_completed=count,
        fan_out_seconds=seconds, server_cpu_seconds=server_cpu,
        trivial_calls_per_second=trivial,
        worker_calls=dict(worker_calls.calls))
    return measured


class CallCounter(object):
    """Count the SWF calls of this process (the activity workers'), by
    action, while :meth:`counting`."""

    def __init__(self):
        self.calls = collections.Counter()
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def counting(self):
        from garcon import connection
        own = connection.Layer1.__dict__.get('make_request')
        make_request = connection.Layer1.make_request
        counter = self

        def counted(self, action, *args, **kwargs):
            with counter.lock:
                counter.calls[action] += 1
            return make_request(self, action, *args, **kwargs)

        connection.Layer1.make_request = counted
        try:
            yield self
        finally:
            if own is None:
                del connection.Layer1.make_request
            else:
                connection.Layer1.make_request = own


def trivial_call_rate(flow, endpoint, clients, seconds):
    """Measure how many trivial SWF calls the server answers per second
    with ``clients`` clients calling at once (CountPendingActivityTasks,
    each client its own connection and thread)."""
    from garcon import connection
    task_list = '{}_fan_out'.format(flow.name)
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def call(slot):
        swf = connection.connect(endpoint=endpoint)
        while time.perf_counter() < deadline:
            swf.count_pending_activity_tasks(flow.domain, task_list)
            counts[slot] += 1

    threads = [threading.Thread(target=call, args=(slot,))
               for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)
