"""What happens when things go wrong, end to end on the local SWF.

Each test ends in a defined outcome, read from the real history: throttled
calls, workers and deciders killed mid-task, raising tasks, oversized
payloads, fan-outs beyond SWF's limits and bad workflow input.
"""

import collections
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from boto.exception import SWFResponseError

from garcon import activity
from garcon import client as garcon_client
from garcon import connection
from garcon import testing
from garcon import worker

from tests.flows import big_fan_out
from tests.flows import flaky_countries
from tests.flows import killable
from tests.flows import payloads
from tests.flows import slow_decider

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scheduled_ids(run):
    return [e['activityTaskScheduledEventAttributes']['activityId']
            for e in run.events_of_type('ActivityTaskScheduled')]


# --- 1. Throttling -------------------------------------------------------

class ThrottlingLayer1(connection.Layer1):
    """Throttles every third call of each SWF action, the first included."""

    calls = collections.Counter()
    throttled = collections.Counter()
    lock = threading.Lock()

    def make_request(self, action, body='', object_hook=None):
        with self.lock:
            self.calls[action] += 1
            throttle = self.calls[action] % 3 == 1
            if throttle:
                self.throttled[action] += 1
        if throttle:
            raise SWFResponseError(400, 'Bad Request', body={
                '__type': 'com.amazon.coral.availability#ThrottlingException',
                'message': 'Rate exceeded'})
        return super(ThrottlingLayer1, self).make_request(
            action, body, object_hook)


def test_throttled_calls_of_every_kind_are_retried(local_swf, monkeypatch):
    monkeypatch.setattr(connection, 'Layer1', ThrottlingLayer1)
    monkeypatch.setattr(connection, 'THROTTLE_FACTOR', 0.01)
    # Heartbeats are sent even right after a task's start.
    monkeypatch.setattr(activity, 'HEARTBEAT_GRACE', 0)
    ThrottlingLayer1.calls.clear()
    ThrottlingLayer1.throttled.clear()
    flaky_countries.reset()

    run = testing.run_flow(flaky_countries, input={'countries': 3})

    assert run.status == 'COMPLETED'
    assert run.context['total'] == 1 + 2 + 3
    for action in ('RegisterDomain', 'RegisterWorkflowType',
                   'RegisterActivityType', 'StartWorkflowExecution',
                   'PollForDecisionTask', 'RespondDecisionTaskCompleted',
                   'PollForActivityTask', 'RecordActivityTaskHeartbeat',
                   'RespondActivityTaskCompleted',
                   'RespondActivityTaskFailed',
                   'DescribeWorkflowExecution',
                   'GetWorkflowExecutionHistory'):
        assert ThrottlingLayer1.throttled[action] >= 1, action


# --- 2. A worker killed mid-task -----------------------------------------

def start_process(local_swf, spec, role, marker):
    env = dict(os.environ)
    env.update(AWS_ENDPOINT_URL_SWF=local_swf.endpoint,
               GARCON_TEST_HANG=str(marker), PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, '-m', 'tests.worker_process', spec, role],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def wait_for_file(path, process, timeout=30):
    """Wait until a process signals, by creating a file, that it is
    mid-task."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, 'the process ended early'
        assert time.monotonic() < deadline, 'the process never got there'
        time.sleep(0.05)


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_a_killed_worker_times_out_and_its_task_is_retried(
        local_swf, tmp_path):
    client = garcon_client.Client()
    with worker.Workers(killable, activities=[]):  # the decider only
        doomed = start_process(
            local_swf, 'tests.flows.killable', 'worker',
            tmp_path / 'doomed')
        try:
            execution = client.start(
                killable, execution_timeout=60, decision_timeout=10)
            wait_for_file(tmp_path / 'doomed', doomed)
        finally:
            kill(doomed)
        # A healthy worker takes the retry.
        with worker.Workers(killable, decider=False, register=False):
            status = client.wait(execution, timeout=30)
    run = testing.FlowRun(execution, status, client.history(execution))

    assert status == 'COMPLETED'
    assert run.context['worked_in'] == os.getpid()
    assert [e['activityTaskTimedOutEventAttributes']['timeoutType']
            for e in run.events_of_type('ActivityTaskTimedOut')] == [
                'HEARTBEAT']
    assert scheduled_ids(run) == ['killable_work-1', 'killable_work-1']


def test_a_worker_killed_beyond_retry_fails_the_workflow(
        local_swf, tmp_path):
    client = garcon_client.Client()
    with worker.Workers(killable, activities=[]):
        execution = client.start(
            killable, execution_timeout=60, decision_timeout=10)
        for attempt in ('first', 'second'):  # retry=1 allows two attempts
            doomed = start_process(
                local_swf, 'tests.flows.killable', 'worker',
                tmp_path / attempt)
            try:
                wait_for_file(tmp_path / attempt, doomed)
            finally:
                kill(doomed)
        status = client.wait(execution, timeout=30)
    run = testing.FlowRun(execution, status, client.history(execution))

    assert status == 'FAILED'
    assert 'killable_work' in run.reason
    assert 'timed out (HEARTBEAT)' in run.reason
    assert len(run.events_of_type('ActivityTaskTimedOut')) == 2


# --- 3. A decider killed mid-decision ------------------------------------

def test_a_killed_decider_is_replaced_without_double_scheduling(
        local_swf, tmp_path):
    client = garcon_client.Client()
    # Register and start with short decision tasks; only the doomed decider
    # polls until it is killed.
    worker.Workers(slow_decider, decider=True, activities=[]).decider
    execution = client.start(
        slow_decider, execution_timeout=60, decision_timeout=2)
    with worker.Workers(slow_decider, decider=False, register=False):
        doomed = start_process(
            local_swf, 'tests.flows.slow_decider', 'decider',
            tmp_path / 'doomed')
        try:
            # The doomed decider hangs in the decision that follows
            # `first`: its generator is evaluated then.
            wait_for_file(tmp_path / 'doomed', doomed)
        finally:
            kill(doomed)
        with worker.Workers(slow_decider, activities=[], register=False):
            status = client.wait(execution, timeout=30)
    run = testing.FlowRun(execution, status, client.history(execution))

    assert status == 'COMPLETED'
    assert run.events_of_type('DecisionTaskTimedOut')
    ids = scheduled_ids(run)
    assert len(ids) == len(set(ids)) == 4
    assert {run.context['part.{}'.format(n)] for n in range(3)} == {True}


# --- 4. Raising tasks ----------------------------------------------------

def test_a_raising_task_fails_with_reason_and_traceback(local_swf):
    flaky_countries.reset()
    errors = []
    flaky_countries.fetch.on_exception = lambda actor, error: errors.append(
        str(error))
    try:
        run = testing.run_flow(flaky_countries, input={'countries': 2})
    finally:
        flaky_countries.fetch.on_exception = None

    assert run.status == 'COMPLETED'  # the worker kept polling
    [failure] = run.events_of_type('ActivityTaskFailed')
    attributes = failure['activityTaskFailedEventAttributes']
    assert attributes['reason'] == (
        'RuntimeError: country 1 failed attempt 1')
    assert attributes['details'].startswith('Traceback')
    assert 'fetch_country' in attributes['details']
    assert errors == ['country 1 failed attempt 1']


# --- 5. Payload limits and fan-outs beyond SWF's limits -------------------

def test_a_result_over_the_limit_fails_at_once(local_swf):
    run = testing.run_flow(payloads, input={'result_size': 40000})

    assert run.status == 'FAILED'
    [failure] = run.events_of_type('ActivityTaskFailed')
    reason = failure['activityTaskFailedEventAttributes']['reason']
    assert 'result' in reason and '40,012 characters' in reason
    assert not run.events_of_type('ActivityTaskTimedOut')
    assert 'payloads_produce' in run.reason


def test_an_input_over_the_limit_fails_the_workflow_at_once(local_swf):
    run = testing.run_flow(payloads, input={'padding': 'y' * 33000})

    assert run.status == 'FAILED'
    assert 'input of activity payloads_produce' in run.reason
    assert not run.events_of_type('ActivityTaskScheduled')


def test_a_fan_out_beyond_swf_limits_completes(local_swf):
    big_fan_out.runs.clear()
    run = testing.run_flow(
        big_fan_out, input={'items': 3000}, threads_per_activity=4,
        timeout=240)

    assert run.status == 'COMPLETED'
    assert run.context['done'] is True
    assert sorted(big_fan_out.runs) == list(range(3000))
    assert set(big_fan_out.runs.values()) == {1}  # each exactly once
    assert not run.events_of_type('ScheduleActivityTaskFailed')
    # Never more than SWF's 1,000 open activities.
    open_now = highest = 0
    for e in run.events:
        if e['eventType'] == 'ActivityTaskScheduled':
            open_now += 1
            highest = max(highest, open_now)
        elif e['eventType'] in ('ActivityTaskCompleted', 'ActivityTaskFailed',
                                'ActivityTaskTimedOut'):
            open_now -= 1
    assert highest == 1000


# --- 6. Bad workflow input -----------------------------------------------

@pytest.mark.parametrize('raw_input, message', [
    ('not json', 'not valid JSON'),
    ('[1, 2]', 'must be a JSON object'),
])
def test_bad_workflow_input_fails_the_workflow(local_swf, raw_input, message):
    client = garcon_client.Client()
    with worker.Workers(payloads):
        run_id = connection.connect().start_workflow_execution(
            'dev', 'bad-input', 'payloads', '1.0', task_list='payloads',
            input=raw_input, execution_start_to_close_timeout='60',
            task_start_to_close_timeout='10')['runId']
        execution = garcon_client.Execution('dev', 'bad-input', run_id)
        status = client.wait(execution, timeout=30)
    run = testing.FlowRun(execution, status, client.history(execution))

    assert status == 'FAILED'
    assert message in run.reason
    # One decision failed the workflow: no crash loop.
    assert len(run.events_of_type('DecisionTaskCompleted')) == 1
