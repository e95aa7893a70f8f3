import json
import logging
import types

import pytest
from boto.swf import layer1_decisions
from boto.swf.exceptions import SWFDomainAlreadyExistsError
from boto.swf.exceptions import SWFTypeAlreadyExistsError
from boto.exception import SWFResponseError

from garcon import activity
from garcon import batching
from garcon import connection
from garcon import decider
from garcon import event
from garcon import runner
from garcon import task
from garcon import utils

from tests.helpers import EventHistory

DOMAIN = 'dev'
FLOW = 'flow'
FLOW_VERSION = '2.5'
EXECUTION = {'workflowId': 'wf-1', 'runId': 'run-1'}


def noop(context, activity):
    pass


def make_flow(**attributes):
    flow = types.ModuleType('fake_flow')
    flow.domain = DOMAIN
    flow.name = FLOW
    flow.version = FLOW_VERSION
    for key, value in attributes.items():
        setattr(flow, key, value)
    return flow


def create():
    return activity.create(DOMAIN, FLOW)


class FakeLayer1(object):
    """Records the SWF calls of a decider."""

    def __init__(self, polls=(), register_errors=None):
        self.polls = list(polls)
        self.poll_calls = []
        self.responses = []
        self.registered = []
        self.register_errors = register_errors or {}

    def poll_for_decision_task(self, domain, task_list, **kwargs):
        self.poll_calls.append((domain, task_list, kwargs))
        result = self.polls.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def respond_decision_task_completed(self, task_token, decisions=None,
                                        execution_context=None):
        self.responses.append((task_token, decisions))

    def _register(self, kind, *args, **kwargs):
        self.registered.append((kind, args, kwargs))
        error = self.register_errors.get(kind)
        if error is not None:
            raise error

    def register_domain(self, *args, **kwargs):
        self._register('domain', *args, **kwargs)

    def register_workflow_type(self, *args, **kwargs):
        self._register('workflow', *args, **kwargs)

    def register_activity_type(self, *args, **kwargs):
        self._register('activity', *args, **kwargs)


def worker_for(flow, fake=None):
    worker = decider.DeciderWorker(flow, register=False)
    worker._swf = fake or FakeLayer1()
    return worker


def decision_task(history, token='decision-token', **extra):
    task = {
        'taskToken': token,
        'startedEventId': len(history.events),
        'previousStartedEventId': 0,
        'workflowExecution': dict(EXECUTION),
        'workflowType': {'name': FLOW, 'version': FLOW_VERSION},
        'events': list(history.events),
    }
    task.update(extra)
    return task


def decide(flow, history):
    worker = worker_for(flow)
    return worker.decide(decision_task(history))._data


def types_of(decisions):
    return [d['decisionType'] for d in decisions]


def scheduled_attributes(decisions):
    return [d['scheduleActivityTaskDecisionAttributes'] for d in decisions
            if d['decisionType'] == 'ScheduleActivityTask']


def fail_reason(decisions):
    [failure] = [d for d in decisions
                 if d['decisionType'] == 'FailWorkflowExecution']
    return failure['failWorkflowExecutionDecisionAttributes']['reason']


def context_for(history):
    current = event.get_current_context(history.events)
    current.set_workflow_execution_info(EXECUTION, DOMAIN)
    return current


def create_decisions(flow, history):
    worker = worker_for(flow)
    decisions = layer1_decisions.Layer1Decisions()
    worker.create_decisions_from_flow(
        decisions, event.activity_states_from_events(history.events),
        context_for(history))
    return decisions._data


@pytest.fixture
def two_step_flow():
    make = create()

    @task.decorate(timeout=30, heartbeat=10)
    def greet(activity, who):
        return {'greeting': 'hi ' + who}

    a = make(name='a', run=runner.Sync(greet.fill(who='who')))
    b = make(name='b', requires=[a], run=runner.Sync(noop))
    return make_flow(a=a, b=b)


# --- the worker ---

def test_worker_attributes(two_step_flow):
    worker = decider.DeciderWorker(two_step_flow, register=False)
    assert worker.domain == DOMAIN
    assert worker.name == FLOW
    assert worker.task_list == FLOW
    assert worker.version == FLOW_VERSION
    assert worker.activities == [two_step_flow.a, two_step_flow.b]


def test_worker_default_version():
    flow = types.SimpleNamespace(domain=DOMAIN, name=FLOW)
    assert decider.DeciderWorker(flow, register=False).version == '1.0'


# --- default decisions ---

def test_first_decision_schedules_the_first_activity(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob', 'unused': 'x' * 100})
    decisions = create_decisions(two_step_flow, history)
    assert types_of(decisions) == ['ScheduleActivityTask']
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_a-1'
    assert attributes['activityType'] == {
        'name': 'flow_a', 'version': FLOW_VERSION}
    assert attributes['taskList'] == {'name': 'flow_a'}
    assert attributes['startToCloseTimeout'] == '30'
    assert attributes['heartbeatTimeout'] == '10'
    assert attributes['scheduleToStartTimeout'] == '600'
    assert attributes['scheduleToCloseTimeout'] == '630'
    assert json.loads(attributes['input']) == {
        'who': 'bob', 'execution.domain': DOMAIN,
        'execution.workflow_id': 'wf-1', 'execution.run_id': 'run-1'}


def test_activity_type_version_is_the_flows():
    make = activity.create(DOMAIN, FLOW, version='9.9')
    flow = make_flow(a=make(name='a', run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    [attributes] = scheduled_attributes(create_decisions(flow, history))
    assert attributes['activityType']['version'] == FLOW_VERSION


def test_untrimmed_input_is_the_whole_context():
    flow = make_flow(a=create()(name='a', run=runner.Sync(noop)))
    history = EventHistory()
    history.started({'k': 'v', 'n': None})
    [attributes] = scheduled_attributes(create_decisions(flow, history))
    assert json.loads(attributes['input']) == {
        'k': 'v', 'n': None, 'execution.domain': DOMAIN,
        'execution.workflow_id': 'wf-1', 'execution.run_id': 'run-1'}


def test_nothing_while_running(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.task_started('flow_a-1')
    assert create_decisions(two_step_flow, history) == []


def test_next_activity_after_completion(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'greeting': 'hi bob'})
    decisions = create_decisions(two_step_flow, history)
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_b-1'
    assert json.loads(attributes['input'])['greeting'] == 'hi bob'
    assert types_of(decisions) == ['ScheduleActivityTask']


def test_completes_when_everything_completed(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {})
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_b-1', {})
    assert types_of(create_decisions(two_step_flow, history)) == [
        'CompleteWorkflowExecution']


def test_generated_instances_scheduled_together():
    def generator(context):
        for n in range(context['count']):
            yield {'gen.n': n}

    make = create()
    flow = make_flow(a=make(name='a', generators=[generator],
                            run=runner.Sync(noop)))
    history = EventHistory()
    history.started({'count': 3})
    attributes = scheduled_attributes(create_decisions(flow, history))
    assert len(attributes) == 3
    assert len({a['activityId'] for a in attributes}) == 3
    for attribute in attributes:
        assert attribute['activityId'].startswith('flow_a-')
        assert attribute['scheduleToStartTimeout'] == '1800'
        assert attribute['scheduleToCloseTimeout'] == '2400'
    assert sorted(json.loads(a['input'])['gen.n'] for a in attributes) == [
        0, 1, 2]


def test_failed_activity_is_retried():
    flow = make_flow(a=create()(name='a', retry=2, run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    [attributes] = scheduled_attributes(create_decisions(flow, history))
    assert attributes['activityId'] == 'flow_a-1'


def test_timed_out_activity_is_retried():
    flow = make_flow(a=create()(name='a', retry=1, run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1')
    history.timed_out('flow_a-1')
    [attributes] = scheduled_attributes(create_decisions(flow, history))
    assert attributes['activityId'] == 'flow_a-1'


def test_retry_exceeded_fails_the_workflow():
    flow = make_flow(
        unstable=create()(name='unstable', retry=1, run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    history.scheduled('flow_unstable', 'flow_unstable-1')
    history.failed('flow_unstable-1')
    history.scheduled('flow_unstable', 'flow_unstable-1')
    history.canceled('flow_unstable-1')
    decisions = decide(flow, history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    reason = fail_reason(decisions)
    assert 'flow_unstable' in reason
    assert len(reason) <= 256


def test_retry_exceeded_in_create_decisions_raises():
    flow = make_flow(a=create()(name='a', run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    with pytest.raises(activity.ActivityRetryExceeded):
        create_decisions(flow, history)


# --- decide ---

def test_decide_uses_the_execution_info(two_step_flow):
    history = EventHistory()
    history.started({'who': 'ann'})
    [attributes] = scheduled_attributes(decide(two_step_flow, history))
    assert json.loads(attributes['input']) == {
        'who': 'ann', 'execution.domain': DOMAIN,
        'execution.workflow_id': 'wf-1', 'execution.run_id': 'run-1'}


def test_schedule_failure_fails_the_workflow(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.schedule_failed(
        'flow_a', 'flow_a-1', cause='ACTIVITY_TYPE_DOES_NOT_EXIST')
    decisions = decide(two_step_flow, history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert 'ACTIVITY_TYPE_DOES_NOT_EXIST' in fail_reason(decisions)


def test_exception_while_deciding_fails_and_calls_on_exception():
    errors = []

    def broken_generator(context):
        raise RuntimeError('generator broke')

    flow = make_flow(
        a=create()(name='a', generators=[broken_generator],
                   run=runner.Sync(noop)),
        on_exception=lambda actor, error: errors.append((actor, error)))
    worker = worker_for(flow)
    history = EventHistory()
    history.started({})
    decisions = worker.decide(decision_task(history))._data
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert 'generator broke' in fail_reason(decisions)
    details = decisions[0]['failWorkflowExecutionDecisionAttributes'][
        'details']
    assert 'broken_generator' in details
    assert len(errors) == 1
    assert errors[0][0] is worker
    assert isinstance(errors[0][1], RuntimeError)


def test_invalid_workflow_input_fails_the_workflow(two_step_flow):
    history = EventHistory()
    history.started('[1, 2]')
    assert types_of(decide(two_step_flow, history)) == [
        'FailWorkflowExecution']


def test_long_error_reason_is_cut():
    def broken_generator(context):
        raise RuntimeError('x' * 2000)

    flow = make_flow(a=create()(name='a', generators=[broken_generator],
                                run=runner.Sync(noop)))
    history = EventHistory()
    history.started({})
    assert len(fail_reason(decide(flow, history))) <= 256


def test_cancel_request_waits_for_activities_in_flight(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.cancel_requested()
    decisions = decide(two_step_flow, history)
    # The activity in flight may still complete and keep its result.
    assert types_of(decisions) == []


def test_cancel_request_cancels_once_nothing_is_in_flight(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.cancel_requested()
    history.completed('flow_a-1', {'a': 1})
    decisions = decide(two_step_flow, history)
    assert types_of(decisions) == ['CancelWorkflowExecution']


def test_input_over_the_limit_fails_the_workflow():
    flow = make_flow(big=create()(name='big', run=runner.Sync(noop)))
    history = EventHistory()
    history.started({'blob': 'x' * 40000})
    decisions = decide(flow, history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert 'flow_big' in fail_reason(decisions)


def test_huge_decision_is_split():
    def generator(context):
        for n in range(3000):
            yield {'gen.n': n}

    flow = make_flow(many=create()(
        name='many', generators=[generator], run=runner.Sync(noop)))
    history = EventHistory()
    history.started({'payload': 'p' * 400})
    decisions = decide(flow, history)
    size = len(json.dumps(decisions).encode('utf-8'))
    kinds = set(types_of(decisions))
    assert 'ScheduleActivityTask' in kinds
    assert not kinds & {'FailWorkflowExecution', 'CompleteWorkflowExecution'}
    assert size < 1024 * 1024


# --- get_history and run ---

def test_get_history_reads_every_page():
    history = EventHistory()
    history.started({})
    for n in range(4):
        history.decision_scheduled()
    events = history.events
    fake = FakeLayer1(polls=[
        {'events': events[2:4], 'nextPageToken': 'page-3'},
        {'events': events[4:]},
    ])
    worker = worker_for(make_flow(), fake)
    poll = {'taskToken': 't', 'events': events[:2],
            'nextPageToken': 'page-2'}
    assert worker.get_history(poll) == events
    assert [call[2].get('next_page_token') for call in fake.poll_calls] == [
        'page-2', 'page-3']
    assert all(call[:2] == (DOMAIN, FLOW) for call in fake.poll_calls)


def test_get_history_single_page():
    fake = FakeLayer1()
    worker = worker_for(make_flow(), fake)
    events = [{'eventId': 1, 'eventType': 'DecisionTaskScheduled'}]
    assert worker.get_history({'events': events}) == events
    assert fake.poll_calls == []


def test_run_decides_across_pages(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'greeting': 'hi'})
    events = history.events
    first = decision_task(history, token='tok')
    first['events'] = events[:1]
    first['nextPageToken'] = 'p2'
    fake = FakeLayer1(polls=[
        first,
        {'events': events[1:2], 'nextPageToken': 'p3'},
        {'events': events[2:]},
    ])
    worker = worker_for(two_step_flow, fake)
    assert worker.run(identity='decider-1') is True
    assert fake.poll_calls[0][2].get('identity') == 'decider-1'
    [(token, decisions)] = fake.responses
    assert token == 'tok'
    assert [d['scheduleActivityTaskDecisionAttributes']['activityId']
            for d in decisions] == ['flow_b-1']


def test_run_empty_poll(two_step_flow):
    fake = FakeLayer1(polls=[{'startedEventId': 0}])
    assert worker_for(two_step_flow, fake).run() is True
    assert fake.responses == []


def test_run_poll_error(two_step_flow):
    errors = []
    two_step_flow.on_exception = lambda actor, error: errors.append(error)
    error = RuntimeError('poll failed')
    fake = FakeLayer1(polls=[error])
    assert worker_for(two_step_flow, fake).run() is True
    assert errors == [error]
    assert fake.responses == []


def test_run_respond_error_goes_to_on_exception(two_step_flow):
    errors = []
    two_step_flow.on_exception = lambda actor, error: errors.append(error)
    error = SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#UnknownResourceFault',
        'message': 'Unknown execution'})

    class RefusingLayer1(FakeLayer1):
        def respond_decision_task_completed(self, *args, **kwargs):
            raise error

    history = EventHistory()
    history.started({'who': 'bob'})
    fake = RefusingLayer1(polls=[decision_task(history)])
    assert worker_for(two_step_flow, fake).run() is True
    assert errors == [error]


# --- registration ---

def already_exists(cls, fault):
    return cls(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#' + fault,
        'message': 'already registered'})


def test_register(two_step_flow, capsys, caplog):
    fake = FakeLayer1()
    worker = worker_for(two_step_flow, fake)
    with caplog.at_level(logging.DEBUG):
        worker.register()
    kinds = [call[0] for call in fake.registered]
    assert kinds == ['domain', 'workflow', 'activity', 'activity']
    assert fake.registered[0][1][0] == DOMAIN
    workflow_args, workflow_kwargs = fake.registered[1][1:]
    assert workflow_args[:3] == (DOMAIN, FLOW, FLOW_VERSION)
    assert workflow_kwargs.get('task_list') == FLOW
    for call, name in zip(fake.registered[2:], ['flow_a', 'flow_b']):
        args, kwargs = call[1:]
        assert args[:3] == (DOMAIN, name, FLOW_VERSION)
        assert kwargs.get('task_list') == name
    assert capsys.readouterr().out == ''
    assert caplog.records


def test_register_tolerates_already_registered(two_step_flow, capsys,
                                               caplog):
    fake = FakeLayer1(register_errors={
        'domain': already_exists(
            SWFDomainAlreadyExistsError, 'DomainAlreadyExistsFault'),
        'workflow': already_exists(
            SWFTypeAlreadyExistsError, 'TypeAlreadyExistsFault'),
        'activity': already_exists(
            SWFTypeAlreadyExistsError, 'TypeAlreadyExistsFault'),
    })
    worker = worker_for(two_step_flow, fake)
    with caplog.at_level(logging.DEBUG):
        worker.register()
    assert [call[0] for call in fake.registered] == [
        'domain', 'workflow', 'activity', 'activity']
    captured = capsys.readouterr()
    assert captured.out == ''
    messages = ' '.join(r.getMessage() for r in caplog.records)
    assert 'flow_a' in messages and 'flow_b' in messages


def test_register_other_errors_surface(two_step_flow):
    error = SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#OperationNotPermittedFault',
        'message': 'no'})
    fake = FakeLayer1(register_errors={'domain': error})
    with pytest.raises(SWFResponseError):
        worker_for(two_step_flow, fake).register()


def test_register_on_creation(two_step_flow, monkeypatch, capsys):
    fake = FakeLayer1()
    monkeypatch.setattr(connection, 'connect', lambda **kwargs: fake)
    decider.DeciderWorker(two_step_flow)
    assert [call[0] for call in fake.registered] == [
        'domain', 'workflow', 'activity', 'activity']
    assert capsys.readouterr().out == ''


def test_no_register_no_calls(two_step_flow, monkeypatch):
    def refuse(**kwargs):
        raise AssertionError('must not connect')

    monkeypatch.setattr(connection, 'connect', refuse)
    decider.DeciderWorker(two_step_flow, register=False)


# --- custom deciders ---

def test_schedule_context():
    context = decider.ScheduleContext()
    assert context.completed is True
    context.mark_uncompleted()
    assert context.completed is False


def completed_state(result):
    state = activity.ActivityState('x')
    state.add_state(activity.ACTIVITY_COMPLETED)
    state.set_result(result)
    return state


def pending_state():
    state = activity.ActivityState('y')
    state.add_state(activity.ACTIVITY_SCHEDULED)
    return state


def test_ensure_requirements():
    decider.ensure_requirements(None)
    decider.ensure_requirements([])
    decider.ensure_requirements([completed_state({'a': 1})])
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        decider.ensure_requirements(
            [completed_state({'a': 1}), pending_state()])


def call_schedule(history, context, sid, current, **kwargs):
    decisions = layer1_decisions.Layer1Decisions()
    schedule_context = decider.ScheduleContext()
    states = event.activity_states_from_events(history.events)
    state = decider.schedule(
        decisions, schedule_context, states, context, sid, current,
        **kwargs)
    return state, decisions._data, schedule_context


def test_schedule_id_and_input():
    current = create()(name='a', run=runner.Sync(noop))
    history = EventHistory()
    history.started({'base': 1})
    state, decisions, schedule_context = call_schedule(
        history, {'base': 1}, 'first', current, input={'extra': 2},
        version='3.0')
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_a-1-first'
    assert attributes['activityType'] == {'name': 'flow_a', 'version': '3.0'}
    assert json.loads(attributes['input']) == {'base': 1, 'extra': 2}
    assert not state.ready
    assert schedule_context.completed is False
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        state.result


def test_schedule_pending_is_not_rescheduled():
    current = create()(name='a', run=runner.Sync(noop))
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1-s')
    state, decisions, schedule_context = call_schedule(
        history, {}, 's', current)
    assert decisions == []
    assert not state.ready
    assert schedule_context.completed is False


def test_schedule_merges_the_results_of_the_instances():
    def generator(context):
        for n in context['ns']:
            yield {'n': n}

    current = create()(name='a', generators=[generator],
                       run=runner.Sync(noop))
    ids = [i.id for i in current.instances({'ns': [1, 2]})]
    history = EventHistory()
    for index, activity_id in enumerate(ids):
        history.scheduled('flow_a', activity_id + '-gen')
        history.completed(activity_id + '-gen', {'r{}'.format(index): index})
    state, decisions, schedule_context = call_schedule(
        history, {}, 'gen', current, input={'ns': [1, 2]})
    assert decisions == []
    assert state.ready
    assert state.result == {'r0': 0, 'r1': 1}
    assert schedule_context.completed is True


def test_schedule_retries_a_failed_instance():
    current = create()(name='a', retry=1, run=runner.Sync(noop))
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1-s')
    history.failed('flow_a-1-s')
    state, decisions, _ = call_schedule(history, {}, 's', current)
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_a-1-s'
    assert not state.ready

    history.scheduled('flow_a', 'flow_a-1-s')
    history.failed('flow_a-1-s')
    with pytest.raises(activity.ActivityRetryExceeded, match='flow_a'):
        call_schedule(history, {}, 's', current)


def test_schedule_requires_ready_states():
    current = create()(name='a', run=runner.Sync(noop))
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        call_schedule(EventHistory(), {}, 's', current,
                      requires=[pending_state()])
    state, decisions, _ = call_schedule(
        EventHistory(), {}, 's', current,
        requires=[completed_state({'ok': 1})])
    assert len(decisions) == 1


def test_schedule_activity_task_function():
    current = create()(name='a', run=runner.Sync(task.timeout(5)(
        lambda context, activity: None)))
    instance = current.instances({'k': 1})[0]
    decisions = layer1_decisions.Layer1Decisions()
    decider.schedule_activity_task(decisions, instance, version='4.2',
                                   id='custom-id')
    [attributes] = scheduled_attributes(decisions._data)
    assert attributes['activityId'] == 'custom-id'
    assert attributes['activityType'] == {'name': 'flow_a', 'version': '4.2'}
    assert attributes['startToCloseTimeout'] == '5'
    assert attributes['heartbeatTimeout'] == '5'
    assert attributes['scheduleToStartTimeout'] == '600'
    assert attributes['scheduleToCloseTimeout'] == '605'
    assert json.loads(attributes['input']) == {'k': 1}

    decisions = layer1_decisions.Layer1Decisions()
    decider.schedule_activity_task(decisions, instance)
    [attributes] = scheduled_attributes(decisions._data)
    assert attributes['activityId'] == 'flow_a-1'
    assert attributes['activityType']['version'] == '1.0'


@pytest.fixture
def custom_flow():
    make = create()
    a = make(name='a', run=runner.Sync(noop))
    b = make(name='b', run=runner.Sync(noop))
    calls = []

    def custom_decider(schedule):
        calls.append('called')
        first = schedule('one', a)
        schedule('two', b, requires=[first],
                 input={'from_a': first.result.get('value')})

    flow = make_flow(a=a, b=b, decider=custom_decider)
    flow.calls = calls
    return flow


def test_custom_decider_first_decision(custom_flow):
    history = EventHistory()
    history.started({'in': 1})
    decisions = decide(custom_flow, history)
    assert types_of(decisions) == ['ScheduleActivityTask']
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_a-1-one'
    assert attributes['activityType']['version'] == FLOW_VERSION
    assert custom_flow.calls == ['called']


def test_custom_decider_after_first(custom_flow):
    history = EventHistory()
    history.started({'in': 1})
    history.scheduled('flow_a', 'flow_a-1-one')
    history.completed('flow_a-1-one', {'value': 'A'})
    decisions = decide(custom_flow, history)
    [attributes] = scheduled_attributes(decisions)
    assert types_of(decisions) == ['ScheduleActivityTask']
    assert attributes['activityId'] == 'flow_b-1-two'
    data = json.loads(attributes['input'])
    assert data['from_a'] == 'A'
    assert data['value'] == 'A'
    assert data['in'] == 1


def test_custom_decider_waiting(custom_flow):
    history = EventHistory()
    history.started({'in': 1})
    history.scheduled('flow_a', 'flow_a-1-one')
    history.completed('flow_a-1-one', {'value': 'A'})
    history.scheduled('flow_b', 'flow_b-1-two')
    assert decide(custom_flow, history) == []


def test_custom_decider_completes(custom_flow):
    history = EventHistory()
    history.started({'in': 1})
    history.scheduled('flow_a', 'flow_a-1-one')
    history.completed('flow_a-1-one', {'value': 'A'})
    history.scheduled('flow_b', 'flow_b-1-two')
    history.completed('flow_b-1-two', {})
    assert types_of(decide(custom_flow, history)) == [
        'CompleteWorkflowExecution']


def test_custom_decider_retry_exceeded_fails():
    a = create()(name='a', run=runner.Sync(noop))

    def custom_decider(schedule):
        schedule('one', a).result

    flow = make_flow(a=a, decider=custom_decider)
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1-one')
    history.failed('flow_a-1-one')
    decisions = decide(flow, history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert 'flow_a' in fail_reason(decisions)


def test_custom_decider_error_fails_and_calls_on_exception():
    errors = []

    def custom_decider(schedule):
        raise KeyError('missing thing')

    flow = make_flow(decider=custom_decider,
                     on_exception=lambda actor, error: errors.append(error))
    history = EventHistory()
    history.started({})
    decisions = decide(flow, history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert 'missing thing' in fail_reason(decisions)
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def test_delegate_passes_context_only_when_declared():
    received = []

    def without_context(schedule):
        received.append(('without',))

    def with_context(schedule, context=None):
        received.append(('with', context))

    history = EventHistory()
    history.started({'in': 1})
    history.scheduled('flow_x', 'flow_x-1')
    history.completed('flow_x-1', {'out': 2})
    context = context_for(history)

    worker = worker_for(make_flow())
    for custom in (without_context, with_context):
        decisions = layer1_decisions.Layer1Decisions()
        worker.delegate_decisions(
            decisions, custom,
            event.activity_states_from_events(history.events), context)
        assert types_of(decisions._data) == ['CompleteWorkflowExecution']
    assert received == [('without',), ('with', {'in': 1})]


def test_delegate_decisions_not_ready_ends_the_decision():
    a = create()(name='a', run=runner.Sync(noop))

    def custom_decider(schedule):
        schedule('one', a).result
        raise AssertionError('should not get here')

    worker = worker_for(make_flow(a=a))
    decisions = layer1_decisions.Layer1Decisions()
    worker.delegate_decisions(decisions, custom_decider, {}, {})
    assert types_of(decisions._data) == ['ScheduleActivityTask']


def test_delegate_decisions_uses_the_flow_version():
    a = create()(name='a', run=runner.Sync(noop))

    def custom_decider(schedule):
        schedule('one', a)

    worker = worker_for(make_flow(a=a))
    decisions = layer1_decisions.Layer1Decisions()
    worker.delegate_decisions(decisions, custom_decider, {}, {})
    [attributes] = scheduled_attributes(decisions._data)
    assert attributes['activityType']['version'] == FLOW_VERSION


def test_flow_importing_the_decider_module_uses_the_default_decider():
    flow = make_flow(a=create()(name='a', run=runner.Sync(noop)),
                     decider=decider)
    history = EventHistory()
    history.started({})
    [attributes] = scheduled_attributes(decide(flow, history))
    assert attributes['activityId'] == 'flow_a-1'


def test_custom_decider_on_a_class_instance():
    make = create()

    class Flow(object):
        domain = DOMAIN
        name = FLOW
        a = make(name='a', run=runner.Sync(noop))

        def decider(self, schedule, context=None):
            schedule('only', self.a, input={'n': context['n']})

    history = EventHistory()
    history.started({'n': 7})
    decisions = decide(Flow(), history)
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_a-1-only'
    assert attributes['activityType']['version'] == '1.0'
    assert json.loads(attributes['input'])['n'] == 7


# --- SWF's limits: open activities and decision size ---

def fan_out_flow(count, payload=0):
    def generator(context):
        for n in range(count):
            yield {'gen.n': n, 'gen.pad': 'p' * payload}

    return make_flow(many=create()(
        name='many', generators=[generator], run=runner.Sync(noop)))


def test_a_decision_keeps_within_the_open_activity_limit():
    history = EventHistory()
    history.started({})
    decisions = decide(fan_out_flow(1500), history)
    assert types_of(decisions) == ['ScheduleActivityTask'] * 1000


def test_open_activities_count_against_the_limit():
    flow = fan_out_flow(1200)
    history = EventHistory()
    history.started({})
    first = decide(flow, history)
    for attributes in scheduled_attributes(first)[:995]:
        history.scheduled('flow_many', attributes['activityId'])
    for attributes in scheduled_attributes(first)[:10]:
        history.completed(attributes['activityId'], {})
    # 985 are still open: 15 slots are left, whatever is available.
    second = decide(flow, history)
    ids = [a['activityId'] for a in scheduled_attributes(second)]
    assert len(ids) == 15
    already = {a['activityId'] for a in scheduled_attributes(first)[:995]}
    assert not already & set(ids)
    assert 'StartTimer' not in types_of(second)


def test_a_failure_beyond_the_budget_still_fails_the_workflow():
    # The first 1,000 instances fill the decision; the last one, which
    # failed with no retry left, comes after them but is still checked.
    last = 'flow_many-' + utils.create_dictionary_key(
        {'gen.n': 1499, 'gen.pad': ''})
    history = EventHistory()
    history.started({})
    history.scheduled('flow_many', last)
    history.failed(last)
    decisions = decide(fan_out_flow(1500), history)
    assert types_of(decisions) == ['FailWorkflowExecution']
    assert last in fail_reason(decisions)


def test_a_decision_over_one_megabyte_is_split_and_continued():
    # Each scheduling carries ~2 KB of input: 1,000 would be ~2 MB.
    history = EventHistory()
    history.started({})
    decisions = decide(fan_out_flow(1000, payload=2000), history)
    size = len(json.dumps(decisions))
    scheduled = [d for d in decisions
                 if d['decisionType'] == 'ScheduleActivityTask']
    assert size < decider.MAX_DECISION_BYTES
    assert 300 < len(scheduled) < 1000
    [timer] = [d for d in decisions if d['decisionType'] == 'StartTimer']
    attributes = timer['startTimerDecisionAttributes']
    assert attributes['startToFireTimeout'] == '0'
    assert attributes['timerId'].startswith(decider.CONTINUE_TIMER_PREFIX)


def test_the_custom_decider_keeps_within_the_budget():
    many = fan_out_flow(1500).many
    flow = make_flow(many=many)

    def custom(schedule):
        schedule('fan', many).result

    flow.decider = custom
    history = EventHistory()
    history.started({})
    decisions = decide(flow, history)
    assert types_of(decisions) == ['ScheduleActivityTask'] * 1000


def test_decision_budget():
    budget = decider.DecisionBudget(open_activities=998, max_bytes=10 ** 6)
    assert budget.spend({'a': 1}) and budget.spend({'a': 2})
    assert not budget.spend({'a': 3})
    assert budget.full and not budget.out_of_bytes

    small = decider.DecisionBudget(max_bytes=20)
    assert small.spend({'a': 1})
    assert not small.spend({'a': 'x' * 30})
    assert small.out_of_bytes
    assert small.spend({'b': 2})  # a smaller one still fits


# --- kept histories: a decider reads only what is new ---

def newest_first_pages(events, size):
    """The pages of a decision task polled with reverse_order."""
    newest = events[::-1]
    return [newest[start:start + size]
            for start in range(0, len(newest), size)]


def paged_task(history, size, token_prefix='p'):
    """A decision task newest first in pages of `size`, and its next
    pages as the fake's polls."""
    pages = newest_first_pages(history.events, size)
    first = decision_task(history, events=pages[0])
    polls = []
    for number, page in enumerate(pages[1:], start=2):
        polls.append({'events': page})
    for number, answer in enumerate([first] + polls[:-1], start=2):
        answer['nextPageToken'] = '{}{}'.format(token_prefix, number)
    return first, polls


def test_run_polls_newest_first(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    fake = FakeLayer1(polls=[decision_task(history)])
    worker_for(two_step_flow, fake).run(identity='d')
    assert fake.poll_calls[0][2] == {'identity': 'd', 'reverse_order': True}


def test_run_without_kept_histories_polls_in_order(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    fake = FakeLayer1(polls=[decision_task(history)])
    worker = worker_for(two_step_flow, fake)
    worker.history_cache_size = 0
    worker.run(identity='d')
    assert fake.poll_calls[0][2] == {'identity': 'd'}


def test_newest_first_pages_are_read_in_history_order(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    for _ in range(5):
        history.decision_scheduled()
    first, polls = paged_task(history, 2)
    fake = FakeLayer1(polls=polls)
    worker = worker_for(two_step_flow, fake)
    assert worker.get_history(first) == history.events
    # Every next page is asked newest first too.
    assert [call[2] for call in fake.poll_calls] == [
        {'next_page_token': 'p2', 'reverse_order': True},
        {'next_page_token': 'p3', 'reverse_order': True}]


def test_second_decision_reads_only_the_new_pages(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    for _ in range(6):
        history.decision_scheduled()
    history.scheduled('flow_a', 'flow_a-1')
    first, polls = paged_task(history, 3)
    fake = FakeLayer1(polls=polls)
    worker = worker_for(two_step_flow, fake)
    assert types_of(worker.decide(first)._data) == []
    assert len(fake.poll_calls) == 2  # the whole history, 3 pages

    history.completed('flow_a-1', {'greeting': 'hi'})
    history.decision_scheduled()
    second, more = paged_task(history, 3, token_prefix='q')
    fake.polls, fake.poll_calls = more, []
    decisions = worker.decide(second)._data
    assert fake.poll_calls == []  # the first page reaches the kept events
    [attributes] = scheduled_attributes(decisions)
    assert attributes['activityId'] == 'flow_b-1'
    assert json.loads(attributes['input'])['greeting'] == 'hi'


def test_kept_history_decides_as_a_new_one(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    worker = worker_for(two_step_flow)
    worker.decide(decision_task(history))
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    kept = worker.decide(decision_task(history))._data
    assert kept == worker_for(two_step_flow).decide(
        decision_task(history))._data
    assert types_of(kept) == ['FailWorkflowExecution']


def test_a_history_that_does_not_continue_the_kept_one_is_read_whole(
        two_step_flow):
    worker = worker_for(two_step_flow)
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    worker.decide(decision_task(history))

    other = EventHistory()
    other.started({'who': 'ann'})
    other.scheduled('flow_a', 'flow_a-1')
    other.completed('flow_a-1', {'greeting': 'hi ann'})
    other.decision_scheduled()
    # Same run id, same event 2, another event 3: not the same history.
    other.events[1]['eventTimestamp'] += 1
    [attributes] = scheduled_attributes(
        worker.decide(decision_task(other))._data)
    assert json.loads(attributes['input'])['greeting'] == 'hi ann'


def test_a_closed_execution_is_not_kept(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    worker = worker_for(two_step_flow)
    worker.decide(decision_task(history))
    assert list(worker._histories) == ['run-1']
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {})
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_b-1', {})
    decisions = worker.decide(decision_task(history))._data
    assert types_of(decisions) == ['CompleteWorkflowExecution']
    assert not worker._histories


def test_kept_histories_are_bounded(two_step_flow):
    worker = worker_for(two_step_flow)
    worker.history_cache_size = 2
    history = EventHistory()
    history.started({'who': 'bob'})
    for run in ('r1', 'r2', 'r3'):
        worker.decide(decision_task(history, workflowExecution={
            'workflowId': 'wf', 'runId': run}))
    assert list(worker._histories) == ['r2', 'r3']


def test_a_decision_does_not_change_the_kept_context():
    def generator(context):
        context['items'].append('seen')
        yield {'n': len(context['items'])}

    make = create()
    flow = make_flow(a=make(name='a', generators=[generator],
                            run=runner.Sync(noop)))
    history = EventHistory()
    history.started({'items': []})
    worker = worker_for(flow)
    first = worker.decide(decision_task(history))._data
    second = worker.decide(decision_task(history))._data
    assert first == second


def test_custom_decider_results_are_not_the_kept_ones():
    make = create()
    a = make(name='a', run=runner.Sync(noop))
    b = make(name='b', run=runner.Sync(noop))
    seen = []

    def custom(schedule):
        first = schedule('one', a)
        items = first.result['items']
        seen.append(list(items))
        items.append('changed by the decider')
        schedule('two', b, requires=[first])

    flow = make_flow(a=a, b=b, decider=custom)
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1-one')
    history.completed('flow_a-1-one', {'items': [1]})
    worker = worker_for(flow)
    worker.decide(decision_task(history))
    worker.decide(decision_task(history))
    assert seen == [[1], [1]]


def test_a_decider_reading_its_own_history_polls_in_order(two_step_flow):
    class OwnHistory(decider.DeciderWorker):
        def get_history(self, poll):
            return list(poll['events'])

    history = EventHistory()
    history.started({'who': 'bob'})
    fake = FakeLayer1(polls=[decision_task(history)])
    worker = OwnHistory(two_step_flow, register=False)
    worker._swf = fake
    worker.run(identity='d')
    assert fake.poll_calls[0][2] == {'identity': 'd'}
    assert not worker._histories


def test_page_size_follows_the_kept_history(two_step_flow):
    history = EventHistory()
    history.started({'who': 'bob'})
    fake = FakeLayer1(polls=[decision_task(history)])
    worker = worker_for(two_step_flow, fake)
    worker.run()
    assert 'maximum_page_size' not in fake.poll_calls[0][2]
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {})
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_b-1', {})
    fake.polls = [decision_task(history)]
    worker.run()
    # Its history is kept: the next decision needs a small page.
    assert fake.poll_calls[1][2]['maximum_page_size'] == (
        decider.MIN_PAGE_SIZE)
    [(_, closing)] = fake.responses[1:]
    assert types_of(closing) == ['CompleteWorkflowExecution']
    fake.polls = [decision_task(history, workflowExecution={
        'workflowId': 'other', 'runId': 'other-run'})]
    worker.run()
    # The last execution closed: the next history is read in whole pages.
    assert 'maximum_page_size' not in fake.poll_calls[2][2]


def test_a_failed_decision_poll_pauses(no_pause_after_poll_errors):
    flow = make_flow(a=create()(name='a', run=runner.Sync(noop)))
    worker = worker_for(flow, FakeLayer1(polls=[RuntimeError('down')]))
    assert worker.run() is True
    assert len(no_pause_after_poll_errors) == 1


# --- answers that wait for the batch window ---

def running_history():
    history = EventHistory()
    history.started({'who': 'bob'})
    history.scheduled('flow_a', 'flow_a-1')
    history.task_started('flow_a-1')
    return history


def batching_worker(flow, history, window=60):
    """A decider with a batch window, about to get one decision task."""
    fake = FakeLayer1(polls=[decision_task(history)])
    worker = worker_for(flow, fake)
    worker.batch_window = window
    return worker, fake


def test_an_empty_answer_waits_while_activities_are_open(two_step_flow):
    worker, fake = batching_worker(two_step_flow, running_history())

    assert worker.run() is True
    assert fake.responses == []
    worker.flush_answers()
    assert fake.responses == [('decision-token', [])]


def test_an_answer_with_decisions_is_sent_at_once(two_step_flow):
    history = running_history()
    history.completed('flow_a-1', {'greeting': 'hi'})
    worker, fake = batching_worker(two_step_flow, history)

    worker.run()
    [(token, decisions)] = fake.responses
    assert types_of(decisions) == ['ScheduleActivityTask']


def test_no_batch_window_answers_at_once(two_step_flow):
    worker, fake = batching_worker(two_step_flow, running_history(), 0)

    worker.run()
    assert fake.responses == [('decision-token', [])]


def test_a_failed_decision_is_sent_at_once(two_step_flow):
    history = running_history()
    history.schedule_failed(
        'flow_b', 'flow_b-1', cause='OPEN_ACTIVITIES_LIMIT_EXCEEDED')
    worker, fake = batching_worker(two_step_flow, history)

    worker.run()
    [(token, decisions)] = fake.responses
    assert types_of(decisions) == ['FailWorkflowExecution']


@pytest.mark.parametrize('open_count, timeout, expected', [
    (1, '300', 0.5), (250, '300', 1.25), (1000, '300', 5.0),
    (1000, '8', 2.0), (1000, 'NONE', 5.0)])
def test_the_wait_grows_with_the_open_activities(
        monkeypatch, open_count, timeout, expected):
    outputs = [{'n': n} for n in range(open_count)]
    flow = make_flow(a=create()(
        name='a', run=runner.Sync(noop), generators=[lambda context: outputs]))
    history = EventHistory()
    history.started({})
    for values in outputs:
        history.scheduled(
            'flow_a', 'flow_a-' + utils.create_dictionary_key(values))
    history.decision_scheduled(timeout)
    waits = []
    monkeypatch.setattr(
        batching.DeferredAnswers, 'defer',
        lambda self, token, decisions, window=None: waits.append(window))
    worker, fake = batching_worker(flow, history, window=0.5)

    worker.run()
    assert fake.responses == []
    assert len(waits) == 1
    assert abs(waits[0] - expected) < 1e-9


# --- one plan per activity in a decision ---

def test_each_instance_gets_the_timeouts_of_its_own_context():
    @task.decorate(timeout=10)
    def short(activity):
        pass

    @task.decorate(timeout=100, heartbeat=90)
    def long(activity):
        pass

    @task.list
    def by_size(context):
        yield long.fill() if context.get('gen.big') else short.fill()

    def generator(context):
        for n, big in enumerate((False, True, False)):
            yield {'gen.big': big, 'gen.n': n}

    flow = make_flow(a=create()(
        name='a', generators=[generator], run=runner.Sync(by_size)))
    history = EventHistory()
    history.started({})
    attributes = scheduled_attributes(decide(flow, history))
    assert [(a['startToCloseTimeout'], a['heartbeatTimeout'],
             a['scheduleToCloseTimeout']) for a in attributes] == [
        ('10', '10', '1810'), ('100', '90', '1900'), ('10', '10', '1810')]


def test_a_fan_out_is_scheduled_as_each_instance_would_be():
    @task.decorate(timeout=20, heartbeat=7)
    def work(activity, n, shared):
        pass

    def generator(context):
        for n in range(4):
            yield {'gen.n': n, 'shared': 'local' if n == 2 else None}

    current = create()(
        name='a', generators=[generator],
        run=runner.Sync(work.fill(n='gen.n', shared='shared')))
    flow = make_flow(a=current)
    history = EventHistory()
    history.started({'shared': 'global', 'other': 'unsent'})
    attributes = scheduled_attributes(decide(flow, history))
    context = context_for(history)
    expected = layer1_decisions.Layer1Decisions()
    for instance in current.instances(context):
        decider.schedule_activity_task(
            expected, instance, version=FLOW_VERSION)
    assert attributes == scheduled_attributes(expected._data)
    inputs = [json.loads(a['input']) for a in attributes]
    # The local context wins, even when it says None (the key is not sent).
    assert [i.get('shared') for i in inputs] == [None, None, 'local', None]
    assert all('other' not in i and i['execution.run_id'] == 'run-1'
               for i in inputs)
    assert {a['heartbeatTimeout'] for a in attributes} == {'7'}


def test_an_unfilled_fan_out_gets_the_whole_context():
    flow = make_flow(a=create()(
        name='a', run=runner.Sync(noop),
        generators=[lambda context: [{'gen.n': n} for n in range(2)]]))
    history = EventHistory()
    history.started({'k': 'v'})
    inputs = [json.loads(a['input'])
              for a in scheduled_attributes(decide(flow, history))]
    assert [i['gen.n'] for i in inputs] == [0, 1]
    assert all(i['k'] == 'v' and i['execution.workflow_id'] == 'wf-1'
               for i in inputs)
