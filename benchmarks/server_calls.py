"""What each SWF call costs the local server, in its CPU time.

One client, one call at a time, against a fresh ``garcon local-server``:
the server's CPU time (read from /proc) before and after a batch of calls of
one kind, divided by the calls. The calls are those one activity causes:
the worker's poll, heartbeat and completion (the decision task that the
completion brings costs the decider's poll and answer on top).
"""

import time

from benchmarks import flows
from benchmarks import local_server
from benchmarks import workflow

#: Activity tasks the measure runs through.
CALLS = 200


def measure(root, calls=CALLS):
    """Return a list of (action, server CPU ms per call, wall ms per
    call)."""
    from garcon import client as garcon_client
    from garcon import connection
    from garcon import decider as garcon_decider

    flow = flows.FLOWS['burst']
    with local_server.LocalServer(root, poll_timeout=1) as server:
        endpoint = server.endpoint
        workflow.register(flow, endpoint)
        swf = connection.connect(endpoint=endpoint)
        decider = garcon_decider.DeciderWorker(flow, register=False)
        decider.endpoint = endpoint
        garcon_client.Client(endpoint=endpoint).start(
            flow, input={'n': calls}, execution_timeout=600,
            decision_timeout=60)
        decider.run()  # schedules the activity tasks
        task_list = '{}_fan_out'.format(flow.name)
        results = []
        tokens = []

        def timed(action, call, count):
            cpu, wall = server.cpu_seconds(), time.perf_counter()
            for _ in range(count):
                call()
            results.append((
                action, 1000 * (server.cpu_seconds() - cpu) / count,
                1000 * (time.perf_counter() - wall) / count))

        timed('CountPendingActivityTasks', lambda: swf.
              count_pending_activity_tasks(flow.domain, task_list), calls)
        timed('PollForActivityTask', lambda: tokens.append(
            swf.poll_for_activity_task(flow.domain, task_list)['taskToken']),
            calls)
        beats = iter(list(tokens))
        timed('RecordActivityTaskHeartbeat', lambda: swf.
              record_activity_task_heartbeat(next(beats)), calls)
        done = iter(list(tokens))
        timed('RespondActivityTaskCompleted', lambda: swf.
              respond_activity_task_completed(next(done), result='{}'),
              calls)
    return results
