"""Tests of the embedded local SWF (garcon.local).

Everything goes through boto 2 Layer1 calls to a real moto server, and
asserts on the history SWF would show.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import boto.exception
import moto
import pytest
from boto.swf.layer1_decisions import Layer1Decisions

from garcon import connection
from garcon import local

POLL_TIMEOUT = 1
WORKFLOW = 'flow'
ACTIVITY = 'act'
ACTIVITY_LIST = 'act-list'

# Big enough for three pages of history at the default page size: 1,000
# activities scheduled, the other 1,600 refused (SWF's open activities
# limit), an event each.
BIG_EXECUTION_ACTIVITIES = 2600


@pytest.fixture(scope='module')
def swf():
    with local.LocalSWF(poll_timeout=POLL_TIMEOUT) as server:
        yield server


@pytest.fixture
def conn(swf):
    return swf.connect()


@pytest.fixture
def domain(conn):
    name = 'test-local-' + uuid.uuid4().hex
    conn.register_domain(name, '1')
    conn.register_workflow_type(
        name, WORKFLOW, '1', task_list=WORKFLOW,
        default_child_policy='TERMINATE',
        default_execution_start_to_close_timeout='3600',
        default_task_start_to_close_timeout='300')
    conn.register_activity_type(
        name, ACTIVITY, '1', task_list=ACTIVITY_LIST,
        default_task_heartbeat_timeout='600',
        default_task_schedule_to_close_timeout='600',
        default_task_schedule_to_start_timeout='600',
        default_task_start_to_close_timeout='600')
    return name


@pytest.fixture
def execution(conn, domain):
    """An open execution: (workflow id, run id). Terminated afterwards."""
    workflow_id = 'wf-' + uuid.uuid4().hex
    run_id = conn.start_workflow_execution(
        domain, workflow_id, WORKFLOW, '1')['runId']
    yield workflow_id, run_id
    # Open tasks of open executions cost every later call a timeout check.
    try:
        conn.terminate_workflow_execution(domain, workflow_id, run_id=run_id)
    except boto.exception.SWFResponseError:
        pass  # already closed


@pytest.fixture
def big_execution(conn, domain, execution):
    """An execution whose history holds more than 2,600 events (one
    decision that schedules 2,600 activities)."""
    _decide(conn, domain, *[
        _schedule('a-{}'.format(number))
        for number in range(BIG_EXECUTION_ACTIVITIES)])
    return execution


def _schedule(activity_id, activity_type=ACTIVITY, **options):
    def add(decisions):
        decisions.schedule_activity_task(
            activity_id, activity_type, '1', task_list=ACTIVITY_LIST,
            **options)
    return add


def _poll_decision(conn, domain, **options):
    for _ in range(20):
        task = conn.poll_for_decision_task(domain, WORKFLOW, **options)
        if task.get('taskToken'):
            return task
    raise AssertionError('No decision task came.')


def _poll_activity(conn, domain):
    for _ in range(20):
        task = conn.poll_for_activity_task(domain, ACTIVITY_LIST)
        if task.get('taskToken'):
            return task
    raise AssertionError('No activity task came.')


def _decide(conn, domain, *builders):
    """Poll a decision task and answer it with the decisions built."""
    task = _poll_decision(conn, domain)
    decisions = Layer1Decisions()
    for build in builders:
        build(decisions)
    conn.respond_decision_task_completed(task['taskToken'], decisions._data)
    return task


def _history(conn, domain, execution, **options):
    workflow_id, run_id = execution
    events = []
    token = None
    while True:
        page = conn.get_workflow_execution_history(
            domain, run_id, workflow_id, next_page_token=token, **options)
        events.extend(page['events'])
        token = page.get('nextPageToken')
        if not token:
            return events


def _of_type(events, event_type):
    attributes = event_type[0].lower() + event_type[1:] + 'EventAttributes'
    return [
        event[attributes] for event in events
        if event['eventType'] == event_type]


def _ids(events):
    return [event['eventId'] for event in events]


def _signal(conn, domain, execution):
    workflow_id, run_id = execution
    conn.signal_workflow_execution(
        domain, 'wake-up', workflow_id, input='{}', run_id=run_id)


# -- The server ------------------------------------------------------------


def test_endpoint_and_environment(swf, monkeypatch):
    assert swf.endpoint == 'http://127.0.0.1:{}'.format(swf.port)
    assert swf.environ() == {'AWS_ENDPOINT_URL_SWF': swf.endpoint}

    monkeypatch.delenv('AWS_ENDPOINT_URL_SWF', raising=False)
    with swf.configure_environment():
        assert connection.endpoint_url() == swf.endpoint
    assert 'AWS_ENDPOINT_URL_SWF' not in os.environ

    monkeypatch.setenv('AWS_ENDPOINT_URL_SWF', 'http://elsewhere:1')
    with swf.configure_environment():
        assert os.environ['AWS_ENDPOINT_URL_SWF'] == swf.endpoint
    assert os.environ['AWS_ENDPOINT_URL_SWF'] == 'http://elsewhere:1'


def test_a_stopped_server_has_no_endpoint():
    server = local.LocalSWF()
    with pytest.raises(local.LocalSWFError):
        server.endpoint


def test_a_busy_port_is_reported(swf):
    with pytest.raises(local.LocalSWFError) as error:
        local.LocalSWF(port=swf.port).start()
    assert str(swf.port) in str(error.value)


def test_servers_start_and_answer_quietly(capfd):
    with local.LocalSWF() as server:
        server.connect().list_domains('REGISTERED')
    out, err = capfd.readouterr()
    assert (out, err) == ('', '')


def test_fixes_are_installed_once(swf):
    from moto.swf.responses import SWFResponse
    poll = SWFResponse.poll_for_activity_task
    local.install_parity_fixes()
    with local.LocalSWF():
        pass
    assert SWFResponse.poll_for_activity_task is poll


def test_missing_moto_internals_name_the_moto_version(monkeypatch):
    from moto.swf.models.workflow_execution import WorkflowExecution
    monkeypatch.delattr(WorkflowExecution, 'next_event_id')
    with pytest.raises(local.LocalSWFError) as error:
        local._check_moto_internals(local._moto_targets())
    assert moto.__version__ in str(error.value)
    assert 'WorkflowExecution.next_event_id' in str(error.value)


def _request(swf, method, path, body=b'', headers=None):
    """Send one HTTP request to the server; return (status, decoded body)."""
    connection = http.client.HTTPConnection(swf.host, swf.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode('utf-8')
    finally:
        connection.close()


def test_the_server_answers_swf_whatever_the_host(swf, conn, domain):
    # moto's server would pick the service by the Host header.
    status, body = _request(
        swf, 'POST', '/', json.dumps({'name': domain}).encode(), {
            'Host': 'sqs.us-east-1.amazonaws.com',
            'Content-Type': 'application/x-amz-json-1.0',
            'X-Amz-Target': 'SimpleWorkflowService.DescribeDomain'})
    assert status == 200
    assert json.loads(body)['domainInfo']['name'] == domain


@pytest.mark.parametrize('request_args', [
    ('POST', '/', b'Action=ListQueues&Version=2012-11-05',
     {'Content-Type': 'application/x-www-form-urlencoded',
      'Authorization': 'AWS4-HMAC-SHA256 Credential=key/20240101/us-east-1/'
                       'sqs/aws4_request, SignedHeaders=host, Signature=0'}),
    ('POST', '/', b'{}',
     {'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.ListTables'}),
], ids=['sqs', 'dynamodb'])
def test_other_services_are_refused_at_once(swf, request_args):
    status, body = _request(swf, *request_args)
    assert status == 400
    assert json.loads(body)['__type'] == local.UNKNOWN_OPERATION


def test_the_moto_api_is_served(swf):
    status, body = _request(swf, 'GET', '/moto-api/config')
    assert 200 <= status < 300
    assert isinstance(json.loads(body), dict)


RESET_SCRIPT = """
from garcon import local  # first: it makes boto importable on 3.12+
import boto.exception
import urllib.request

with local.LocalSWF() as swf:
    conn = swf.connect()
    conn.register_domain('kept-until-reset', '1')
    {reset}
    try:
        conn.describe_domain('kept-until-reset')
    except boto.exception.SWFResponseError as error:
        print(error.body['__type'])
"""


@pytest.mark.parametrize('reset', [
    'swf.reset()',
    "urllib.request.urlopen(urllib.request.Request("
    "swf.endpoint + '/moto-api/reset', data=b'', method='POST'))",
], ids=['LocalSWF.reset', 'moto-api'])
def test_reset_forgets_everything(reset):
    # moto's state is the process's: reset in a process of its own, so as to
    # leave alone the state other tests' servers hold.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [root, os.environ.get('PYTHONPATH')])))
    finished = subprocess.run(
        [sys.executable, '-c', RESET_SCRIPT.format(reset=reset)],
        env=environ, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert 'UnknownResourceFault' in finished.stdout


# -- Activity ids ----------------------------------------------------------


@pytest.mark.parametrize('close', ['fail', 'complete'])
def test_a_closed_activity_id_can_be_scheduled_again(
        conn, domain, execution, close):
    _decide(conn, domain, _schedule('a-1'))
    task = _poll_activity(conn, domain)
    if close == 'fail':
        conn.respond_activity_task_failed(task['taskToken'], reason='boom')
    else:
        conn.respond_activity_task_completed(task['taskToken'], result='{}')

    _decide(conn, domain, _schedule('a-1'))
    retry = _poll_activity(conn, domain)
    conn.respond_activity_task_completed(retry['taskToken'], result='{}')

    events = _history(conn, domain, execution)
    assert _of_type(events, 'ScheduleActivityTaskFailed') == []
    scheduled = _of_type(events, 'ActivityTaskScheduled')
    assert [event['activityId'] for event in scheduled] == ['a-1', 'a-1']
    assert retry['activityId'] == 'a-1'
    assert retry['taskToken'] != task['taskToken']


def test_an_open_activity_id_is_refused(conn, domain, execution):
    # Scheduled twice in one decision: the second is refused.
    _decide(conn, domain, _schedule('a-1'), _schedule('a-1'))
    failed = _of_type(
        _history(conn, domain, execution), 'ScheduleActivityTaskFailed')
    assert [(event['activityId'], event['cause']) for event in failed] == [
        ('a-1', 'ACTIVITY_ID_ALREADY_IN_USE')]

    # Started counts as open too.
    task = _poll_activity(conn, domain)
    _signal(conn, domain, execution)
    _decide(conn, domain, _schedule('a-1'))
    failed = _of_type(
        _history(conn, domain, execution), 'ScheduleActivityTaskFailed')
    assert len(failed) == 2
    assert failed[-1]['cause'] == 'ACTIVITY_ID_ALREADY_IN_USE'

    # Once closed, it is free again.
    conn.respond_activity_task_completed(task['taskToken'])
    _decide(conn, domain, _schedule('a-1'))
    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'ScheduleActivityTaskFailed')) == 2
    assert len(_of_type(events, 'ActivityTaskScheduled')) == 2


def test_a_heartbeat_timeout_frees_the_activity_id(conn, domain, execution):
    _decide(conn, domain, _schedule('a-1', heartbeat_timeout='1'))
    task = _poll_activity(conn, domain)

    # No heartbeat: the timeout schedules the next decision task.
    _decide(conn, domain, _schedule('a-1'))

    events = _history(conn, domain, execution)
    timed_out = _of_type(events, 'ActivityTaskTimedOut')
    assert [event['timeoutType'] for event in timed_out] == ['HEARTBEAT']
    assert _of_type(events, 'ScheduleActivityTaskFailed') == []
    assert len(_of_type(events, 'ActivityTaskScheduled')) == 2
    # As on SWF, the late answer is refused (moto alone fails with a 500).
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.respond_activity_task_completed(task['taskToken'])
    assert 'UnknownResourceFault' in error.value.body['__type']
    retry = _poll_activity(conn, domain)
    assert retry['activityId'] == 'a-1'


def test_a_timed_out_decision_task_is_noticed_and_refused(conn, domain):
    conn.start_workflow_execution(
        domain, 'wf-1', WORKFLOW, '1', task_start_to_close_timeout='1')
    late = _poll_decision(conn, domain)

    # The waiting poll notices the timeout and gets the next decision task.
    task = _poll_decision(conn, domain)
    assert task['taskToken'] != late['taskToken']
    timed_out = _of_type(task['events'], 'DecisionTaskTimedOut')
    assert [event['timeoutType'] for event in timed_out] == ['START_TO_CLOSE']
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.respond_decision_task_completed(late['taskToken'])
    assert 'UnknownResourceFault' in error.value.body['__type']
    conn.terminate_workflow_execution(domain, 'wf-1')


def _sleep_until(moment):
    """Sleep until time.time() reaches moment (SWF's event clock)."""
    time.sleep(max(moment - time.time(), 0))


def _timed_out(conn, domain, execution):
    return _of_type(_history(conn, domain, execution), 'ActivityTaskTimedOut')


def _scheduled_at(conn, domain, execution, activity_id):
    for event in _history(conn, domain, execution):
        attributes = event.get('activityTaskScheduledEventAttributes')
        if attributes and attributes['activityId'] == activity_id:
            return event['eventTimestamp']
    raise AssertionError('{} was not scheduled.'.format(activity_id))


def test_a_timeout_is_noticed_by_the_first_call_after_it_falls_due(
        conn, domain, execution):
    # An execution is looked at for timeouts only from its next deadline:
    # the first call after it must notice the timeout, as moto's check of
    # every call would.
    _decide(conn, domain, _schedule('a-1', schedule_to_start_timeout='1'))
    scheduled = _scheduled_at(conn, domain, execution, 'a-1')
    assert _timed_out(conn, domain, execution) == []
    # A call just before: the one just after must look again.
    _sleep_until(scheduled + 0.97)
    _timed_out(conn, domain, execution)

    _sleep_until(scheduled + 1.02)
    timed_out = _timed_out(conn, domain, execution)
    assert [event['timeoutType'] for event in timed_out] == [
        'SCHEDULE_TO_START']


def test_a_clock_started_later_brings_the_next_timeout_forward(
        conn, domain, execution):
    _decide(conn, domain, _schedule('a-1'))
    # This call finds the next timeout far away (a-1's schedule-to-start,
    # 600 s)...
    assert _timed_out(conn, domain, execution) == []
    _signal(conn, domain, execution)
    # ... and this decision schedules an activity timing out sooner.
    _decide(conn, domain, _schedule('a-2', schedule_to_start_timeout='1'))
    scheduled = _scheduled_at(conn, domain, execution, 'a-2')

    _sleep_until(scheduled + 1.05)
    assert len(_timed_out(conn, domain, execution)) == 1


def test_a_heartbeat_puts_the_next_timeout_later(conn, domain, execution):
    _decide(conn, domain, _schedule('a-1', heartbeat_timeout='2'))
    task = _poll_activity(conn, domain)
    scheduled = _scheduled_at(conn, domain, execution, 'a-1')
    _sleep_until(scheduled + 1)
    conn.record_activity_task_heartbeat(task['taskToken'])
    heartbeat = time.time()

    # The timeout the execution knew of passed: looked at, none fell due.
    _sleep_until(scheduled + 2.2)
    assert _timed_out(conn, domain, execution) == []
    _sleep_until(heartbeat + 2.05)
    assert len(_timed_out(conn, domain, execution)) == 1


def test_one_decision_task_waits_at_a_time(conn, domain, execution):
    _decide(conn, domain, _schedule('a-1'), _schedule('a-2'))
    for _ in range(2):
        task = _poll_activity(conn, domain)
        conn.respond_activity_task_completed(task['taskToken'])

    # Both completions are decided in one decision task, as on SWF.
    workflow_id, run_id = execution
    counts = conn.describe_workflow_execution(
        domain, run_id, workflow_id)['openCounts']
    assert counts['openDecisionTasks'] == 1
    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'DecisionTaskScheduled')) == 2


def test_an_execution_is_described_with_its_start_time(
        conn, domain, execution):
    workflow_id, run_id = execution
    info = conn.describe_workflow_execution(
        domain, run_id, workflow_id)['executionInfo']
    [started] = _history(conn, domain, execution)[:1]
    assert info['startTimestamp'] == pytest.approx(
        started['eventTimestamp'], abs=1)
    assert time.time() - info['startTimestamp'] < 60


def test_no_more_than_1000_activities_are_open(conn, domain, execution):
    limit = local.MAX_OPEN_ACTIVITIES
    _decide(conn, domain, *[
        _schedule('a-{}'.format(number)) for number in range(limit + 2)])
    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'ActivityTaskScheduled')) == limit
    failed = _of_type(events, 'ScheduleActivityTaskFailed')
    assert [(event['activityId'], event['cause'], event['activityType'])
            for event in failed] == [
        ('a-{}'.format(number), 'OPEN_ACTIVITIES_LIMIT_EXCEEDED',
         {'name': ACTIVITY, 'version': '1'})
        for number in (limit, limit + 1)]
    # As on SWF, the refusal asks for a decision task.
    assert events[-1]['eventType'] == 'DecisionTaskScheduled'

    # Once one closes, one more may open.
    task = _poll_activity(conn, domain)
    conn.respond_activity_task_completed(task['taskToken'])
    _decide(conn, domain, _schedule('a-again-1'), _schedule('a-again-2'))
    events = _history(conn, domain, execution)
    assert _of_type(events, 'ActivityTaskScheduled')[-1][
        'activityId'] == 'a-again-1'
    assert [event['activityId'] for event in _of_type(
        events, 'ScheduleActivityTaskFailed')][-1] == 'a-again-2'
    workflow_id, run_id = execution
    counts = conn.describe_workflow_execution(
        domain, run_id, workflow_id)['openCounts']
    assert counts['openActivityTasks'] == limit


# -- Activity timeouts -------------------------------------------------------


def _wait_for_a_timeout(conn, domain, execution, within=10):
    """Read the history until it shows an ActivityTaskTimedOut event.

    Each read is a call: the local SWF notices the timeouts that fell due.
    """
    deadline = time.monotonic() + within
    while True:
        events = _history(conn, domain, execution)
        if _of_type(events, 'ActivityTaskTimedOut'):
            return events
        assert time.monotonic() < deadline, 'No activity task timed out.'
        time.sleep(0.05)


def _only(events, event_type):
    matching = [event for event in events if event['eventType'] == event_type]
    assert len(matching) == 1, matching
    return matching[0]


def _timeout_type(events):
    return _only(events, 'ActivityTaskTimedOut')[
        'activityTaskTimedOutEventAttributes']['timeoutType']


def _check_timeout(events, timeout_type, clock, seconds, **attributes):
    """Check the only ActivityTaskTimedOut event of a history.

    Args:
        events (list): the history.
        timeout_type (str): its timeoutType.
        clock (str): the type of the event its clock started at.
        seconds (int): the timeout: when it fell due after that event.
        **attributes: its attributes besides timeoutType and
            scheduledEventId.
    """
    event = _only(events, 'ActivityTaskTimedOut')
    assert event['activityTaskTimedOutEventAttributes'] == dict(
        attributes, timeoutType=timeout_type,
        scheduledEventId=_only(events, 'ActivityTaskScheduled')['eventId'])
    assert event['eventTimestamp'] == pytest.approx(
        _only(events, clock)['eventTimestamp'] + seconds, abs=0.1)


def _refused(answer, *args):
    with pytest.raises(boto.exception.SWFResponseError) as error:
        answer(*args)
    return error.value.body['__type']


def test_start_to_close_times_out_a_task_that_heartbeats(
        conn, domain, execution):
    _decide(conn, domain, _schedule(
        'a-1', start_to_close_timeout='2', heartbeat_timeout='1'))
    task = _poll_activity(conn, domain)
    polled = time.time()
    # The worker heartbeats within its heartbeat timeout, but works on past
    # its start-to-close timeout.
    for beat in range(1, 4):
        _sleep_until(polled + 0.5 * beat)
        conn.record_activity_task_heartbeat(
            task['taskToken'], details='beat {}'.format(beat))

    events = _wait_for_a_timeout(conn, domain, execution)
    _check_timeout(
        events, 'START_TO_CLOSE', 'ActivityTaskStarted', 2,
        startedEventId=_only(events, 'ActivityTaskStarted')['eventId'],
        details='beat 3')
    # Closed: the worker's later answers are refused, as on SWF.
    for answer in (conn.respond_activity_task_completed,
                   conn.record_activity_task_heartbeat):
        assert 'UnknownResourceFault' in _refused(answer, task['taskToken'])
    assert _counts(conn, domain, execution)['openActivityTasks'] == 0
    # The decider hears of it.
    decision = _poll_decision(conn, domain)
    assert [event['eventType'] for event in decision['events'][-3:]] == [
        'ActivityTaskTimedOut', 'DecisionTaskScheduled', 'DecisionTaskStarted']


def test_schedule_to_start_times_out_a_task_nobody_polls(
        conn, domain, execution):
    _decide(conn, domain, _schedule('a-1', schedule_to_start_timeout='1'))

    decision = _poll_decision(conn, domain)  # brought by the timeout
    assert _of_type(decision['events'], 'ActivityTaskTimedOut')
    # What SWF writes for a task that never started: startedEventId 0.
    _check_timeout(
        _history(conn, domain, execution), 'SCHEDULE_TO_START',
        'ActivityTaskScheduled', 1, startedEventId=0)
    assert conn.count_pending_activity_tasks(
        domain, ACTIVITY_LIST)['count'] == 0
    assert _counts(conn, domain, execution)['openActivityTasks'] == 0


def test_schedule_to_close_times_out_a_task_started_and_never_closed(
        conn, domain, execution):
    # Its start-to-close timeout is 600 s (the type's default).
    _decide(conn, domain, _schedule('a-1', schedule_to_close_timeout='1'))
    task = _poll_activity(conn, domain)

    events = _wait_for_a_timeout(conn, domain, execution)
    _check_timeout(
        events, 'SCHEDULE_TO_CLOSE', 'ActivityTaskScheduled', 1,
        startedEventId=_only(events, 'ActivityTaskStarted')['eventId'])
    assert 'UnknownResourceFault' in _refused(
        conn.respond_activity_task_completed, task['taskToken'])


@pytest.mark.parametrize('options, start, timeout_type', [
    ({'schedule_to_start_timeout': '1', 'schedule_to_close_timeout': '2'},
     False, 'SCHEDULE_TO_START'),
    ({'schedule_to_start_timeout': '2', 'schedule_to_close_timeout': '1'},
     False, 'SCHEDULE_TO_CLOSE'),
    ({'start_to_close_timeout': '1', 'heartbeat_timeout': '2'},
     True, 'START_TO_CLOSE'),
    ({'start_to_close_timeout': '2', 'heartbeat_timeout': '1'},
     True, 'HEARTBEAT'),
])
def test_the_first_timeout_to_fall_due_wins(
        conn, domain, execution, options, start, timeout_type):
    _decide(conn, domain, _schedule('a-1', **options))
    if start:
        _poll_activity(conn, domain)

    events = _wait_for_a_timeout(conn, domain, execution)
    assert _timeout_type(events) == timeout_type


def test_the_heartbeat_clock_starts_when_the_task_starts(
        conn, domain, execution):
    _decide(conn, domain, _schedule('a-1', heartbeat_timeout='1'))
    scheduled = _scheduled_at(conn, domain, execution, 'a-1')
    # Waiting in its task list longer than its heartbeat timeout is fine.
    _sleep_until(scheduled + 1.2)
    assert _timed_out(conn, domain, execution) == []
    task = _poll_activity(conn, domain)
    started = _only(
        _history(conn, domain, execution), 'ActivityTaskStarted')

    # Its start started the clock, and brought the execution's next timeout
    # forward: the first call after it falls due notices it.
    _sleep_until(started['eventTimestamp'] + 1.05)
    timed_out = _timed_out(conn, domain, execution)
    assert [(event['timeoutType'], event['startedEventId'])
            for event in timed_out] == [('HEARTBEAT', started['eventId'])]
    assert 'UnknownResourceFault' in _refused(
        conn.respond_activity_task_completed, task['taskToken'])


def test_none_is_no_limit_and_the_type_gives_the_defaults(
        conn, domain, execution):
    conn.register_activity_type(
        domain, 'short', '1', task_list=ACTIVITY_LIST,
        default_task_heartbeat_timeout='1',
        default_task_schedule_to_close_timeout='2',
        default_task_schedule_to_start_timeout='1',
        default_task_start_to_close_timeout='1')
    unlimited = dict.fromkeys([
        'schedule_to_start_timeout', 'schedule_to_close_timeout',
        'start_to_close_timeout', 'heartbeat_timeout'], 'NONE')
    _decide(conn, domain, _schedule('by-default', 'short'),
            _schedule('unlimited', 'short', **unlimited))

    # The first, on the type's defaults, times out waiting (1 s); the second
    # waits longer, then runs longer than every default, and completes.
    _poll_decision(conn, domain)
    task = _poll_activity(conn, domain)
    assert task['activityId'] == 'unlimited'
    time.sleep(2.1)
    conn.respond_activity_task_completed(task['taskToken'], result='done')

    events = _history(conn, domain, execution)
    assert _timeout_type(events) == 'SCHEDULE_TO_START'
    assert _only(events, 'ActivityTaskCompleted')[
        'activityTaskCompletedEventAttributes']['result'] == 'done'


# -- Concurrency -------------------------------------------------------------


def test_concurrent_pollers_never_share_a_task(swf, conn, domain, execution):
    activity_ids = ['a-{}'.format(number) for number in range(200)]
    _decide(conn, domain, *[_schedule(name) for name in activity_ids])
    received = []
    errors = []

    def work():
        worker = swf.connect()
        try:
            while True:
                task = worker.poll_for_activity_task(domain, ACTIVITY_LIST)
                if not task.get('taskToken'):
                    return
                received.append((task['taskToken'], task['activityId']))
                worker.respond_activity_task_completed(task['taskToken'])
        except Exception as error:  # reported by the main thread
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(8)]
    # Switch threads often, so that an unlocked server would race.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(switch_interval)

    tokens = [token for token, _ in received]
    assert len(tokens) == len(set(tokens))
    assert errors == []
    assert len(tokens) == 200
    assert sorted(name for _, name in received) == sorted(activity_ids)
    events = _history(conn, domain, execution)
    started = _of_type(events, 'ActivityTaskStarted')
    assert len({event['scheduledEventId'] for event in started}) == 200
    assert len(_of_type(events, 'ActivityTaskCompleted')) == 200


def test_activity_tasks_are_handed_out_in_the_order_scheduled(
        conn, domain, execution):
    activity_ids = ['a-{}'.format(number) for number in range(10)]
    _decide(conn, domain, *[_schedule(name) for name in activity_ids[:5]])
    first = _poll_activity(conn, domain)
    _signal(conn, domain, execution)
    _decide(conn, domain, *[_schedule(name) for name in activity_ids[5:]])

    handed_out = [first['activityId']] + [
        _poll_activity(conn, domain)['activityId'] for _ in range(9)]
    assert handed_out == activity_ids
    assert not conn.poll_for_activity_task(domain, ACTIVITY_LIST).get(
        'taskToken')


# -- Long polling ------------------------------------------------------------


def _poll_in_background(poll):
    """Start ``poll()`` in a thread; return what it gives and when."""
    outcome = {}

    def run():
        outcome['started'] = time.monotonic()
        outcome['task'] = poll()
        outcome['returned'] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _schedule_for_a_waiting_poll(swf, conn, domain):
    """Schedule activity a-1 while a poll of its task list waits; return
    what the poll got and when a-1 was scheduled."""
    poller = swf.connect()
    thread, outcome = _poll_in_background(
        lambda: poller.poll_for_activity_task(domain, ACTIVITY_LIST))
    # A poll cannot tell it waits: give it time to get there.
    time.sleep(0.3)
    _decide(conn, domain, _schedule('a-1'))
    scheduled = time.monotonic()
    thread.join()
    return outcome, scheduled


def test_a_waiting_activity_poll_gets_a_new_task_at_once(
        swf, conn, domain, execution):
    outcome, scheduled = _schedule_for_a_waiting_poll(swf, conn, domain)

    assert outcome['task']['activityId'] == 'a-1'
    assert outcome['returned'] - scheduled < 0.5
    assert scheduled - outcome['started'] < POLL_TIMEOUT


def test_a_waiting_decision_poll_gets_a_new_task_at_once(
        swf, conn, domain):
    poller = swf.connect()
    thread, outcome = _poll_in_background(
        lambda: poller.poll_for_decision_task(domain, WORKFLOW))
    time.sleep(0.3)
    conn.start_workflow_execution(domain, 'wf-1', WORKFLOW, '1')
    started = time.monotonic()
    thread.join()

    assert outcome['task']['workflowExecution']['workflowId'] == 'wf-1'
    assert outcome['returned'] - started < 0.5
    conn.terminate_workflow_execution(domain, 'wf-1')


def test_a_fired_timer_reaches_a_waiting_decision_poll(
        conn, domain, execution):
    _decide(conn, domain, lambda decisions: decisions.start_timer('1', 't-1'))
    task = _poll_decision(conn, domain)

    fired = _of_type(task['events'], 'TimerFired')
    assert [event['timerId'] for event in fired] == ['t-1']


@pytest.fixture
def no_rechecks(monkeypatch):
    """Waiting polls wake only when told (their rechecks wait for ever)."""
    monkeypatch.setattr(local, 'RECHECK_INTERVAL', 3600)


def test_a_waiting_poll_is_woken_by_news_of_its_task_list(
        swf, conn, domain, execution, no_rechecks):
    outcome, scheduled = _schedule_for_a_waiting_poll(swf, conn, domain)

    assert outcome['task']['activityId'] == 'a-1'
    assert outcome['returned'] - scheduled < 0.5


def test_a_waiting_poll_sleeps_through_news_of_other_task_lists(
        swf, conn, domain, execution, no_rechecks, monkeypatch):
    from moto.swf.models import SWFBackend
    polls = []
    poll = SWFBackend.poll_for_activity_task

    def counted(backend, domain_name, task_list, *args, **kwargs):
        polls.append(task_list)
        return poll(backend, domain_name, task_list, *args, **kwargs)

    monkeypatch.setattr(SWFBackend, 'poll_for_activity_task', counted)
    poller = swf.connect()
    thread, outcome = _poll_in_background(
        lambda: poller.poll_for_activity_task(domain, 'elsewhere'))
    time.sleep(0.3)
    _decide(conn, domain, _schedule('a-1'), _schedule('a-2'))
    for _ in range(2):
        task = _poll_activity(conn, domain)
        conn.respond_activity_task_completed(task['taskToken'])
    thread.join()

    assert not outcome['task'].get('taskToken')
    # Once when it came, once when its time was up: never woken between.
    assert polls.count('elsewhere') == 2


def test_a_waiting_decision_poll_gets_the_task_freed_at_once(
        swf, conn, domain, execution, no_rechecks):
    started = _poll_decision(conn, domain)
    # Scheduled while one is started: no poll may have it yet.
    _signal(conn, domain, execution)
    poller = swf.connect()
    thread, outcome = _poll_in_background(
        lambda: poller.poll_for_decision_task(domain, WORKFLOW))
    time.sleep(0.3)
    conn.respond_decision_task_completed(started['taskToken'])
    completed = time.monotonic()
    thread.join()

    assert outcome['task']['taskToken'] != started['taskToken']
    assert outcome['returned'] - completed < 0.5


@pytest.mark.parametrize('kind', ['activity', 'decision'])
def test_an_empty_poll_waits_for_the_poll_timeout(conn, domain, kind):
    poll = {
        'activity': lambda: conn.poll_for_activity_task(domain, 'nothing'),
        'decision': lambda: conn.poll_for_decision_task(domain, 'nothing'),
    }[kind]
    began = time.monotonic()
    answer = poll()
    waited = time.monotonic() - began

    assert not answer.get('taskToken')
    assert POLL_TIMEOUT * 0.9 <= waited < POLL_TIMEOUT + 1


def test_the_default_poll_timeout_is_swf_like_but_short():
    assert local.POLL_TIMEOUT == 5
    assert local.LocalSWF().poll_timeout is None


# -- Size ---------------------------------------------------------------------


def test_one_decision_of_3000_schedulings(conn, domain, execution):
    # Quadratic bookkeeping would make this decision take many seconds.
    _decide(conn, domain, *[
        _schedule('a-{}'.format(number)) for number in range(3000)])

    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'ActivityTaskScheduled')) == 1000
    assert {event['cause'] for event in _of_type(
        events, 'ScheduleActivityTaskFailed')} == {
        'OPEN_ACTIVITIES_LIMIT_EXCEEDED'}
    assert len(events) > 3000
    assert _ids(events) == list(range(1, len(events) + 1))


# -- History paging -----------------------------------------------------------


def test_history_pages_add_up_to_the_whole_history(
        conn, domain, big_execution):
    workflow_id, run_id = big_execution
    first = conn.get_workflow_execution_history(domain, run_id, workflow_id)
    assert len(first['events']) == local.MAX_PAGE_SIZE
    assert first['nextPageToken']

    events = _history(conn, domain, big_execution)
    assert len(events) > 2500
    assert _ids(events) == list(range(1, len(events) + 1))
    assert _history(
        conn, domain, big_execution, maximum_page_size=333) == events
    # The refusals ask for a decision task, the history's last event.
    assert events[-2]['eventType'] == 'ScheduleActivityTaskFailed'
    assert events[-1]['eventType'] == 'DecisionTaskScheduled'


def test_history_pages_in_reverse_order(conn, domain, big_execution):
    events = _history(conn, domain, big_execution)
    backwards = _history(
        conn, domain, big_execution, reverse_order=True,
        maximum_page_size=700)
    assert backwards == events[::-1]


def test_decision_task_pages_belong_to_one_decision_task(
        conn, domain, big_execution):
    _signal(conn, domain, big_execution)
    task = _poll_decision(conn, domain)
    pages = [task]
    while pages[-1].get('nextPageToken'):
        pages.append(conn.poll_for_decision_task(
            domain, WORKFLOW, next_page_token=pages[-1]['nextPageToken']))

    assert len(pages) == 3
    assert [len(page['events']) for page in pages[:-1]] == [1000, 1000]
    assert {page['taskToken'] for page in pages} == {task['taskToken']}
    assert {page['startedEventId'] for page in pages} == {
        task['startedEventId']}
    events = [event for page in pages for event in page['events']]
    assert events[-1]['eventId'] == task['startedEventId']
    assert events == _history(conn, domain, big_execution)

    # The pages started no other decision task; this one can still answer.
    conn.respond_decision_task_completed(task['taskToken'])
    events = _history(conn, domain, big_execution)
    assert len(_of_type(events, 'DecisionTaskStarted')) == 2
    assert events[-1]['eventType'] == 'DecisionTaskCompleted'


def test_decision_task_pages_in_reverse_order(conn, domain, big_execution):
    _signal(conn, domain, big_execution)
    task = _poll_decision(conn, domain, reverse_order=True,
                          maximum_page_size=900)
    events = list(task['events'])
    token = task.get('nextPageToken')
    while token:
        page = conn.poll_for_decision_task(
            domain, WORKFLOW, next_page_token=token, maximum_page_size=900)
        events.extend(page['events'])
        token = page.get('nextPageToken')

    assert events[0]['eventId'] == task['startedEventId']
    assert events == _history(conn, domain, big_execution)[::-1]


def test_a_short_history_comes_in_one_page(conn, domain, execution):
    task = _poll_decision(conn, domain)
    assert 'nextPageToken' not in task
    assert _ids(task['events']) == [1, 2, 3]


@pytest.mark.parametrize('options', [
    {'maximum_page_size': 1001},
    {'next_page_token': 'not-a-token'},
])
def test_bad_paging_arguments_are_refused(conn, domain, execution, options):
    workflow_id, run_id = execution
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.get_workflow_execution_history(
            domain, run_id, workflow_id, **options)
    assert 'ValidationException' in error.value.body['__type']


# -- Cancel requests ----------------------------------------------------------


def _cancel(decisions):
    decisions.cancel_workflow_executions(details='as asked')


def _counts(conn, domain, execution):
    workflow_id, run_id = execution
    return conn.describe_workflow_execution(
        domain, run_id, workflow_id)['openCounts']


def test_a_cancel_request_is_recorded_and_decided(conn, domain, execution):
    workflow_id, run_id = execution
    _decide(conn, domain)

    answer = conn.request_cancel_workflow_execution(
        domain, workflow_id, run_id=run_id)

    assert answer is None  # HTTP 200, empty body
    info = conn.describe_workflow_execution(domain, run_id, workflow_id)
    assert info['executionInfo']['cancelRequested'] is True
    assert info['openCounts']['openDecisionTasks'] == 1
    task = _poll_decision(conn, domain)
    requested = [
        event for event in task['events']
        if event['eventType'] == 'WorkflowExecutionCancelRequested']
    assert len(requested) == 1
    # Made by a call, not by a parent or another execution: no cause.
    assert requested[0][
        'workflowExecutionCancelRequestedEventAttributes'] == {}
    assert task['events'][-2]['eventType'] == 'DecisionTaskScheduled'

    conn.respond_decision_task_completed(task['taskToken'], [
        {'decisionType': 'CancelWorkflowExecution',
         'cancelWorkflowExecutionDecisionAttributes': {'details': 'done'}}])

    info = conn.describe_workflow_execution(domain, run_id, workflow_id)
    assert info['executionInfo']['executionStatus'] == 'CLOSED'
    assert info['executionInfo']['closeStatus'] == 'CANCELED'
    events = _history(conn, domain, execution)
    assert events[-1]['eventType'] == 'WorkflowExecutionCanceled'
    assert _of_type(events, 'WorkflowExecutionCanceled')[0]['details'] == (
        'done')


def test_a_cancel_request_without_run_id_goes_to_the_open_run(
        conn, domain, execution):
    workflow_id, _ = execution
    conn.request_cancel_workflow_execution(domain, workflow_id)

    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'WorkflowExecutionCancelRequested')) == 1


def test_a_cancel_request_waits_with_the_scheduled_decision_task(
        conn, domain, execution):
    # The first decision task is still scheduled: no second one.
    workflow_id, run_id = execution
    conn.request_cancel_workflow_execution(domain, workflow_id, run_id)

    assert _counts(conn, domain, execution)['openDecisionTasks'] == 1
    task = _poll_decision(conn, domain)
    assert [event['eventType'] for event in task['events']] == [
        'WorkflowExecutionStarted', 'DecisionTaskScheduled',
        'WorkflowExecutionCancelRequested', 'DecisionTaskStarted']


def test_a_cancel_with_a_new_event_pending_fails_as_on_swf(
        conn, domain, execution):
    # SWF refuses to close an execution on a decision that has not seen
    # every event: the decider must decide again.
    task = _poll_decision(conn, domain)
    _signal(conn, domain, execution)
    decisions = Layer1Decisions()
    _cancel(decisions)
    conn.respond_decision_task_completed(task['taskToken'], decisions._data)

    failed = _of_type(
        _history(conn, domain, execution), 'CancelWorkflowExecutionFailed')
    assert [event['cause'] for event in failed] == ['UNHANDLED_DECISION']
    _decide(conn, domain, _cancel)
    events = _history(conn, domain, execution)
    assert events[-1]['eventType'] == 'WorkflowExecutionCanceled'


@pytest.mark.parametrize('which', ['unknown', 'closed'])
def test_a_cancel_request_for_no_open_execution_is_refused_at_once(
        conn, domain, execution, which):
    workflow_id, run_id = execution
    if which == 'unknown':
        workflow_id, run_id = 'nobody', 'nothing'
    else:
        conn.terminate_workflow_execution(domain, workflow_id, run_id=run_id)

    began = time.monotonic()
    for run in (run_id, None):
        with pytest.raises(boto.exception.SWFResponseError) as error:
            conn.request_cancel_workflow_execution(
                domain, workflow_id, run_id=run)
        assert error.value.status == 400
        assert 'UnknownResourceFault' in error.value.body['__type']
    assert time.monotonic() - began < 2


def test_a_timed_out_decision_task_does_not_block_a_cancel(conn, domain):
    conn.start_workflow_execution(
        domain, 'wf-1', WORKFLOW, '1', task_start_to_close_timeout='1')
    _poll_decision(conn, domain)
    # Timed out, then decided again: moto alone would still count the timed
    # out task as open, and refuse the cancel with UNHANDLED_DECISION.
    task = _poll_decision(conn, domain)
    run_id = task['workflowExecution']['runId']
    execution = ('wf-1', run_id)
    assert _counts(conn, domain, execution)['openDecisionTasks'] == 1
    conn.request_cancel_workflow_execution(domain, 'wf-1', run_id)
    decisions = Layer1Decisions()
    _cancel(decisions)
    conn.respond_decision_task_completed(task['taskToken'], decisions._data)
    # The request came after the task started: decided by the next one.
    _decide(conn, domain, _cancel)

    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'DecisionTaskTimedOut')) == 1
    assert events[-1]['eventType'] == 'WorkflowExecutionCanceled'


def test_a_timed_out_activity_task_is_not_counted_open(
        conn, domain, execution):
    _decide(conn, domain, _schedule('a-1', heartbeat_timeout='1'))
    _poll_activity(conn, domain)
    assert _counts(conn, domain, execution)['openActivityTasks'] == 1

    task = _poll_decision(conn, domain)  # brought by the timeout

    assert _of_type(task['events'], 'ActivityTaskTimedOut')
    assert _counts(conn, domain, execution)['openActivityTasks'] == 0


# -- What moto does not implement -------------------------------------------


def test_an_unimplemented_action_is_refused_at_once(conn, domain):
    began = time.monotonic()
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.count_open_workflow_executions(
            domain, latest_date=time.time(), oldest_date=0)
    assert time.monotonic() - began < 2
    assert error.value.status == 400
    assert error.value.body['__type'] == local.UNKNOWN_OPERATION
    message = error.value.body['message']
    assert 'CountOpenWorkflowExecutions' in message
    assert moto.__version__ in message


def test_an_unimplemented_decision_is_refused_before_any_is_applied(
        conn, domain, execution):
    task = _poll_decision(conn, domain)
    decisions = Layer1Decisions()
    decisions.schedule_activity_task(
        'a-1', ACTIVITY, '1', task_list=ACTIVITY_LIST)
    decisions.start_child_workflow_execution(
        WORKFLOW, '1', 'child-1', task_list=WORKFLOW)

    began = time.monotonic()
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.respond_decision_task_completed(
            task['taskToken'], decisions._data)
    assert time.monotonic() - began < 2
    assert error.value.status == 400
    assert 'ValidationException' in error.value.body['__type']
    assert 'StartChildWorkflowExecution decision (decisions.2)' in (
        error.value.body['message'])

    # Nothing applied: the task is still started and may answer again.
    events = _history(conn, domain, execution)
    assert events[-1]['eventType'] == 'DecisionTaskStarted'
    assert _of_type(events, 'ActivityTaskScheduled') == []
    conn.respond_decision_task_completed(
        task['taskToken'], decisions._data[:1])
    events = _history(conn, domain, execution)
    assert len(_of_type(events, 'ActivityTaskScheduled')) == 1


def test_an_unknown_decision_type_keeps_motos_answer(conn, domain, execution):
    task = _poll_decision(conn, domain)
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.respond_decision_task_completed(
            task['taskToken'], [{'decisionType': 'Teleport'}])
    assert error.value.status == 400
    assert "Value 'Teleport' at 'decisions.1.member.decisionType'" in (
        error.value.body['message'])


def test_history_needs_the_execution(conn, domain):
    with pytest.raises(boto.exception.SWFResponseError) as error:
        conn.make_request(
            'GetWorkflowExecutionHistory', json.dumps({'domain': domain}))
    assert 'ValidationException' in error.value.body['__type']
    assert "Value null at 'execution.runId'" in error.value.body['message']


# -- moto versions ----------------------------------------------------------


@pytest.mark.parametrize('version, warned', [
    ('5.1.0', False),
    ('5.1.22', False),
    ('5.2.5', False),
    ('5.3.0', True),
    ('5.0.28', True),
])
def test_untested_moto_versions_are_warned_about(
        monkeypatch, caplog, version, warned):
    monkeypatch.setattr(moto, '__version__', version)
    with caplog.at_level('WARNING', logger='garcon.local'):
        local._check_moto_internals(local._moto_targets())
    assert bool(caplog.records) is warned
    if warned:
        assert '5.1.x or 5.2.x' in caplog.text
        assert version in caplog.text


def test_the_instance_list_of_either_moto_name_is_enough(monkeypatch):
    # moto 5.1.9 renamed a model's list of its instances.
    from moto.swf.models.workflow_execution import WorkflowExecution
    for name in local._RECORDED_INSTANCES:
        monkeypatch.delattr(WorkflowExecution, name, raising=False)
    with pytest.raises(local.LocalSWFError) as error:
        local._check_moto_internals(local._moto_targets())
    assert 'WorkflowExecution.instances_tracked|instances' in str(
        error.value)
    monkeypatch.setattr(WorkflowExecution, 'instances', [], raising=False)
    local._check_moto_internals(local._moto_targets())
