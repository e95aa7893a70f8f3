"""End to end: cancelling an execution on the local SWF.

A real DeciderWorker and real Activity workers (in threads, over HTTP)
run :mod:`tests.flows.cancellable`; a cancel is requested while its first
activity is in flight, through boto or through ``garcon cancel``. As on SWF,
the decider schedules nothing more, lets the activity in flight finish (its
result stays in the history) and then closes the execution as CANCELED.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from garcon import client as garcon_client
from garcon import connection
from garcon import worker
from tests.flows import cancellable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Seconds anything awaited here may take before the test fails.
TIMEOUT = 30

#: Seconds between two looks at an execution's history.
LOOK_INTERVAL = 0.05

HOLD = 'cancellable_hold'
AFTER = 'cancellable_after'


@pytest.fixture
def running(local_swf):
    """The flow's decider and workers, running; a client; a fresh flow."""
    cancellable.reset()
    workers = worker.Workers(cancellable).start()
    try:
        yield garcon_client.Client()
    finally:
        # A hold still blocking would keep its worker thread: let it end.
        cancellable.release.set()
        workers.stop()
        # moto's state is the process's: leave none to the tests after.
        local_swf.reset()


def start_and_hold(client):
    """Start an execution and wait until its first activity runs."""
    execution = client.start(cancellable)
    assert cancellable.started.wait(TIMEOUT), 'hold never started'
    return execution


def wait_for_history(client, execution, predicate):
    """Look at the history until ``predicate(events)``; return the events."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        events = client.history(execution)
        if predicate(events):
            return events
        assert time.monotonic() < deadline, 'history never got there'
        time.sleep(LOOK_INTERVAL)


def decided_after_cancel_request(events):
    """Whether a decision completed after the cancel request."""
    types = [event['eventType'] for event in events]
    if 'WorkflowExecutionCancelRequested' not in types:
        return False
    requested = types.index('WorkflowExecutionCancelRequested')
    return 'DecisionTaskCompleted' in types[requested:]


def attributes(event):
    name = event['eventType']
    return event[name[0].lower() + name[1:] + 'EventAttributes']


def of_type(events, event_type):
    return [
        attributes(event) for event in events
        if event['eventType'] == event_type]


def scheduled_activities(events):
    return [
        event['activityType']['name']
        for event in of_type(events, 'ActivityTaskScheduled')]


def assert_canceled_after_hold(client, execution):
    """The execution closed as CANCELED once hold had finished."""
    assert client.wait(execution, timeout=TIMEOUT) == 'CANCELED'
    events = client.history(execution)
    assert events[-1]['eventType'] == 'WorkflowExecutionCanceled'
    assert of_type(events, 'CancelWorkflowExecutionFailed') == []
    # The activity in flight finished and its result is in the history.
    completed = of_type(events, 'ActivityTaskCompleted')
    assert [json.loads(event['result']) for event in completed] == [
        {'held': True, 'released': True}]
    # Nothing was scheduled after it.
    assert scheduled_activities(events) == [HOLD]
    assert cancellable.after_runs == []
    info = client.describe(execution)
    assert info['cancelRequested'] is True
    return events


def test_a_cancel_lets_the_activity_in_flight_finish(running):
    client = running
    execution = start_and_hold(client)

    connection.connect().request_cancel_workflow_execution(
        execution.domain, execution.workflow_id, execution.run_id)
    # The decider sees the request while hold runs: it schedules nothing,
    # and cannot close the execution yet.
    events = wait_for_history(
        client, execution, decided_after_cancel_request)
    assert client.describe(execution)['executionStatus'] == 'OPEN'
    assert scheduled_activities(events) == [HOLD]

    cancellable.release.set()

    events = assert_canceled_after_hold(client, execution)
    types = [event['eventType'] for event in events]
    assert (types.index('WorkflowExecutionCancelRequested')
            < types.index('ActivityTaskCompleted'))


def test_garcon_cancel_on_the_local_swf(running, local_swf):
    client = running
    execution = start_and_hold(client)
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop('AWS_ENDPOINT_URL', None)
    env['AWS_ENDPOINT_URL_SWF'] = local_swf.endpoint

    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, '-m', 'garcon', 'cancel', execution.workflow_id,
         '--domain', 'dev'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    took = time.monotonic() - began

    assert result.returncode == 0, result.stderr
    assert 'Cancel requested for {}'.format(
        execution.workflow_id) in result.stdout
    assert took < 10
    events = wait_for_history(
        client, execution, decided_after_cancel_request)
    assert scheduled_activities(events) == [HOLD]

    cancellable.release.set()

    assert_canceled_after_hold(client, execution)
