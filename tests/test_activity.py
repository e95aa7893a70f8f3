import hashlib
import json
import logging

import pytest
from boto.exception import SWFResponseError

from garcon import activity
from garcon import instances as flow_instances
from garcon import param
from garcon import runner
from garcon import task

from tests.helpers import EventHistory
from tests.helpers import make_flow
from tests.helpers import noop

DOMAIN = 'dev'
FLOW = 'flow'


def sha1_key(dictionary):
    text = ''.join(
        "'{}':'{}';".format(key, dictionary[key])
        for key in sorted(dictionary))
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def fresh_task():
    # Timeout decorators record on the function itself: use a new one.
    return lambda context, activity: None


@pytest.fixture
def create():
    return activity.create(DOMAIN, FLOW)


def states_from(history):
    from garcon import event
    return event.activity_states_from_events(history.events)


class FakeLayer1(object):
    """Records the SWF calls of an activity worker."""

    def __init__(self, tasks=(), poll_error=None):
        self.tasks = list(tasks)
        self.poll_error = poll_error
        self.polls = []
        self.completed = []
        self.failed = []
        self.heartbeats = []

    def poll_for_activity_task(self, domain, task_list, identity=None):
        self.polls.append((domain, task_list, identity))
        if self.poll_error:
            raise self.poll_error
        if self.tasks:
            return self.tasks.pop(0)
        return {'startedEventId': 0}

    def respond_activity_task_completed(self, task_token, result=None):
        self.completed.append((task_token, result))

    def respond_activity_task_failed(self, task_token, details=None,
                                     reason=None):
        self.failed.append(
            {'task_token': task_token, 'details': details, 'reason': reason})

    def record_activity_task_heartbeat(self, task_token, details=None):
        self.heartbeats.append(task_token)
        return {'cancelRequested': False}


def activity_task(input, token='token-1'):
    return {
        'taskToken': token,
        'activityId': 'flow_a-1',
        'activityType': {'name': 'flow_a', 'version': '1.0'},
        'startedEventId': 3,
        'workflowExecution': {'workflowId': 'wf', 'runId': 'run'},
        'input': json.dumps(input),
    }


# --- create ---

def test_create_names_and_task_list(create):
    current = create(name='a', run=runner.Sync(noop))
    assert isinstance(current, activity.Activity)
    assert current.name == 'flow_a'
    assert current.task_list == 'flow_a'
    assert current.domain == 'dev'
    assert current.version == '1.0'
    assert current.retry == 0
    assert current.requires == []


def test_create_version():
    current = activity.create(DOMAIN, FLOW, version='2.1')(
        name='a', run=runner.Sync(noop))
    assert current.version == '2.1'


def test_create_options(create):
    first = create(name='first', run=runner.Sync(noop))

    def generator(context):
        yield {'g': 1}

    current = create(
        name='second', requires=[first], retry=2, generators=[generator],
        run=runner.Sync(noop), schedule_to_start=42)
    assert current.requires == [first]
    assert current.retry == 2
    assert current.generators == [generator]
    assert current.schedule_to_start == 42


def test_create_tasks_alias(create):
    current_runner = runner.Sync(noop)
    assert create(name='a', tasks=current_runner).runner is current_runner


def test_create_on_exception():
    handler = lambda actor, error: None  # noqa: E731
    override = lambda actor, error: None  # noqa: E731
    create = activity.create(DOMAIN, FLOW, on_exception=handler)
    assert create(name='a', run=runner.Sync(noop)).on_exception is handler
    assert create(name='b', run=runner.Sync(noop),
                  on_exception=override).on_exception is override


def test_create_external(create):
    current = create(name='ext', external=True, timeout=120)
    assert isinstance(current, activity.ExternalActivity)
    assert current.name == 'flow_ext'
    instance = current.instances({})[0]
    assert instance.timeout == 120
    assert instance.heartbeat_timeout == 120
    other = create(name='ext2', external=True, timeout=120, heartbeat=30)
    assert other.instances({})[0].heartbeat_timeout == 30


def test_create_does_not_connect(create, monkeypatch):
    from garcon import connection

    def refuse(*args, **kwargs):
        raise AssertionError('create() must not connect')

    monkeypatch.setattr(connection, 'connect', refuse)
    create(name='a', run=runner.Sync(noop))
    create(name='b', external=True, timeout=10)


@pytest.mark.parametrize('options, option', [
    (dict(requires=['not an activity']), 'requires'),
    (dict(requires=[noop]), 'requires'),
    (dict(retry=-1), 'retry'),
    (dict(retry='3'), 'retry'),
    (dict(retry=1.5), 'retry'),
    (dict(retry=True), 'retry'),
    (dict(generators=['not callable']), 'generators'),
    (dict(generators=[{'a': 1}]), 'generators'),
    (dict(run=noop), 'run'),
    (dict(run='Sync'), 'run'),
    (dict(tasks=[noop]), 'tasks'),
    (dict(external=True), 'timeout'),
    (dict(external=True, heartbeat=10), 'timeout'),
])
def test_create_bad_input(create, options, option):
    with pytest.raises(activity.ActivityDefinitionError) as info:
        create(name='bad', **options)
    message = str(info.value)
    assert 'flow_bad' in message
    assert option in message


def test_create_bad_input_is_a_type_or_value_error(create):
    with pytest.raises(TypeError):
        create(name='bad', retry='x')
    with pytest.raises(ValueError):
        create(name='bad', retry=-2)


def test_create_without_name(create):
    with pytest.raises(activity.ActivityDefinitionError):
        create(run=runner.Sync(noop))


def test_create_unknown_option_warns(create, caplog):
    def generator(context):
        yield {'a': 1}

    with caplog.at_level(logging.WARNING):
        current = create(
            name='a', run=runner.Sync(noop), generator=[generator])
    assert isinstance(current, activity.Activity)
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert 'generator' in warnings[0]
    assert 'flow_a' in warnings[0]


def test_runner_missing_names_the_activity(create):
    current = create(name='lonely')
    instance = current.instances({})[0]
    with pytest.raises(runner.RunnerMissing, match='flow_lonely'):
        instance.timeout
    with pytest.raises(runner.RunnerMissing, match='flow_lonely'):
        instance.runner


# --- instances ---

def test_instance_id_without_generator(create):
    instances = create(name='a', run=runner.Sync(noop)).instances({'x': 1})
    assert len(instances) == 1
    assert instances[0].id == 'flow_a-1'
    assert instances[0].activity_name == 'flow_a'
    assert instances[0].pool_size == 1
    assert instances[0].local_context == {}
    assert instances[0].global_context == {'x': 1}


def test_instance_ids_with_generator(create):
    def generator(context):
        for index in range(context['count']):
            yield {'generator.index': index}

    current = create(name='gen', generators=[generator],
                     run=runner.Sync(noop))
    instances = current.instances({'count': 3, 'shared': 's'})
    assert len(instances) == 3
    expected = {
        'flow_gen-' + sha1_key({'generator.index': index})
        for index in range(3)}
    assert {instance.id for instance in instances} == expected
    for instance in instances:
        assert instance.pool_size == 3
        assert instance.global_context['shared'] == 's'
        assert (instance.global_context['generator.index'] ==
                instance.local_context['generator.index'])


def test_instance_id_known_value(create):
    def generator(context):
        yield {'generator.country_id': 1}

    instance = create(name='activity_2', generators=[generator],
                      run=runner.Sync(noop)).instances({})[0]
    assert instance.id == 'flow_activity_2-' + hashlib.sha1(
        b"'generator.country_id':'1';").hexdigest()


def test_instances_cartesian_product(create):
    def days(context):
        yield {'day': 1}
        yield {'day': 2}

    def countries(context):
        for country in ('fr', 'us', 'jp'):
            yield {'country': country}

    current = create(name='product', generators=[days, countries],
                     run=runner.Sync(noop))
    instances = current.instances({})
    assert len(instances) == 6
    contexts = sorted(
        (i.local_context['day'], i.local_context['country'])
        for i in instances)
    assert contexts == sorted(
        (day, country) for day in (1, 2) for country in ('fr', 'us', 'jp'))
    assert len({i.id for i in instances}) == 6
    for instance in instances:
        assert instance.pool_size == 6
        assert instance.id == 'flow_product-' + sha1_key(
            instance.local_context)


def test_generator_without_output(create):
    current = create(name='empty', generators=[lambda context: iter(())],
                     run=runner.Sync(noop))
    assert current.instances({}) == []


def test_local_context_overrides_execution_context(create):
    current = create(name='a', generators=[lambda c: [{'k': 'local'}]],
                     run=runner.Sync(noop))
    instance = current.instances({'k': 'global', 'other': 1})[0]
    assert instance.global_context == {'k': 'local', 'other': 1}


# --- timeouts ---

def test_instance_timeouts_without_generator(create):
    current = create(
        name='a',
        run=runner.Sync(
            task.timeout(10)(fresh_task()),
            task.timeout(20, 5)(fresh_task())))
    instance = current.instances({})[0]
    assert instance.timeout == 30
    assert instance.heartbeat_timeout == 10
    assert instance.schedule_to_start == 600
    assert instance.schedule_to_close == 630


def test_instance_timeouts_with_pool(create):
    def generator(context):
        for index in range(4):
            yield {'i': index}

    current = create(
        name='a', generators=[generator],
        run=runner.Sync(task.timeout(100)(fresh_task())))
    instance = current.instances({})[0]
    assert instance.pool_size == 4
    assert instance.timeout == 100
    assert instance.heartbeat_timeout == 100
    assert instance.schedule_to_start == 4 * 600
    assert instance.schedule_to_close == 4 * 600 + 100


def test_instance_timeouts_custom_schedule_to_start(create):
    def generator(context):
        yield {'i': 1}
        yield {'i': 2}

    current = create(name='a', generators=[generator], schedule_to_start=30,
                     run=runner.Sync(noop))
    instance = current.instances({})[0]
    assert instance.timeout == 600
    assert instance.heartbeat_timeout == 600
    assert instance.schedule_to_start == 60
    assert instance.schedule_to_close == 660


def test_default_schedule_to_start_constant():
    assert activity.DEFAULT_ACTIVITY_SCHEDULE_TO_START == 600
    assert (activity.ACTIVITY_STANDBY, activity.ACTIVITY_SCHEDULED,
            activity.ACTIVITY_COMPLETED, activity.ACTIVITY_FAILED) == (
                0, 1, 2, 3)


def test_instance_timeouts_follow_task_lists(create):
    @task.list
    def tasks(context):
        yield task.timeout(10)(fresh_task())
        if context.get('long'):
            yield task.timeout(1000, 50)(fresh_task())

    current = create(name='a', run=runner.Sync(tasks))
    assert current.instances({})[0].timeout == 10
    assert current.instances({'long': True})[0].timeout == 1010
    assert current.instances({'long': True})[0].heartbeat_timeout == 50


def test_instance_retry(create):
    current = create(name='a', retry=4, run=runner.Sync(noop))
    assert current.instances({})[0].retry == 4


# --- create_execution_input ---

def test_execution_input_is_trimmed_when_every_task_is_filled(create):
    @task.decorate()
    def fn(activity, a, b, c, local):
        pass

    def generator(context):
        yield {'gen.local': 'L'}

    current = create(
        name='a', generators=[generator],
        run=runner.Sync(fn.fill(
            a='ctx.a', b='ctx.none', c='ctx.missing', local='gen.local')))
    context = {
        'ctx.a': 1, 'ctx.none': None, 'ctx.unused': 'big',
        'execution.domain': 'dev', 'execution.run_id': 'run',
        'execution.workflow_id': 'wf'}
    instance = current.instances(context)[0]
    assert instance.create_execution_input() == {
        'ctx.a': 1, 'gen.local': 'L',
        'execution.domain': 'dev', 'execution.run_id': 'run',
        'execution.workflow_id': 'wf'}


def test_execution_input_static_params_need_nothing(create):
    @task.decorate()
    def fn(activity, value):
        pass

    current = create(name='a', run=runner.Sync(
        fn.fill(value=param.StaticParam('x'))))
    instance = current.instances({'ctx': 1, 'execution.domain': 'd'})[0]
    assert instance.create_execution_input() == {'execution.domain': 'd'}


def test_execution_input_whole_context_when_a_task_is_not_filled(create):
    @task.decorate()
    def fn(activity, a):
        pass

    def generator(context):
        yield {'gen.local': 'L'}

    current = create(
        name='a', generators=[generator],
        run=runner.Sync(fn.fill(a='ctx.a'), noop))
    context = {'ctx.a': 1, 'ctx.unused': 'big', 'ctx.none': None,
               'execution.domain': 'dev'}
    instance = current.instances(context)[0]
    assert instance.create_execution_input() == {
        'ctx.a': 1, 'ctx.unused': 'big', 'ctx.none': None,
        'execution.domain': 'dev', 'gen.local': 'L'}


def test_external_activity_receives_the_context(create):
    current = create(name='ext', external=True, timeout=10)
    context = {'ctx.a': 1, 'execution.domain': 'dev'}
    instance = current.instances(context)[0]
    assert instance.create_execution_input() == context


# --- ActivityState ---

def test_activity_state_empty():
    state = activity.ActivityState('flow_a-1')
    assert state.activity_id == 'flow_a-1'
    assert state.get_last_state() is None
    assert not state.ready


def test_activity_state_add_state():
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_SCHEDULED)
    assert state.get_last_state() == activity.ACTIVITY_SCHEDULED
    assert not state.ready
    state.add_state(activity.ACTIVITY_COMPLETED)
    assert state.get_last_state() == activity.ACTIVITY_COMPLETED
    assert state.ready


def test_activity_state_result_not_ready():
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_SCHEDULED)
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        state.result
    state.add_state(activity.ACTIVITY_FAILED)
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        state.result


def test_activity_state_wait_not_ready():
    # SPEC 5.2: 0.4.x called the `ready` property as a function.
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_SCHEDULED)
    with pytest.raises(activity.ActivityInstanceNotReadyException):
        state.wait()


def test_activity_state_wait_ready():
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_COMPLETED)
    state.set_result({'r': 1})
    assert state.wait() is None
    assert state.result == {'r': 1}


def test_activity_state_set_result_once():
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_COMPLETED)
    state.set_result({'r': 1})
    with pytest.raises(Exception):
        state.set_result({'r': 2})
    assert state.result == {'r': 1}


def test_activity_state_set_result_once_even_when_empty():
    state = activity.ActivityState('id')
    state.add_state(activity.ACTIVITY_COMPLETED)
    state.set_result({})
    with pytest.raises(Exception):
        state.set_result({'r': 2})
    assert state.result == {}


# --- failures and availability ---

def state_with(*states):
    state = activity.ActivityState('id')
    for value in states:
        state.add_state(value)
    return state


S, C, F = (activity.ACTIVITY_SCHEDULED, activity.ACTIVITY_COMPLETED,
           activity.ACTIVITY_FAILED)


def test_count_activity_failures():
    assert activity.count_activity_failures(state_with()) == 0
    assert activity.count_activity_failures(state_with(S, F, S, F, S)) == 2
    assert activity.count_activity_failures(state_with(S, F, S, C)) == 1


def test_count_activity_failures_dict():
    states = {'a': state_with(S, F, S, F), 'b': state_with(S, F),
              'c': state_with(S, C)}
    assert activity.count_activity_failures(states) == 3


def test_is_available_without_state(create):
    instance = create(name='a', run=runner.Sync(noop)).instances({})[0]
    assert activity.is_available(instance, None) is True


def test_is_available_scheduled_or_completed(create):
    instance = create(name='a', retry=3, run=runner.Sync(noop)).instances(
        {})[0]
    assert activity.is_available(instance, state_with(S)) is False
    assert activity.is_available(instance, state_with(S, C)) is False
    assert activity.is_available(instance, state_with(S, F, S)) is False


def test_retry_zero_means_no_retry(create):
    instance = create(name='noretry', run=runner.Sync(noop)).instances({})[0]
    with pytest.raises(activity.ActivityRetryExceeded, match='flow_noretry'):
        activity.is_available(instance, state_with(S, F))


def test_retry_three_allows_three_failures(create):
    instance = create(name='retried', retry=3,
                      run=runner.Sync(noop)).instances({})[0]
    states = [S, F]
    for _ in range(3):
        assert activity.is_available(instance, state_with(*states)) is True
        states += [S, F]
    with pytest.raises(activity.ActivityRetryExceeded) as info:
        activity.is_available(instance, state_with(*states))
    assert 'flow_retried' in str(info.value)


# --- flows ---

def test_find_workflow_activities_dir_order_each_once(create):
    b = create(name='b', run=runner.Sync(noop))
    a = create(name='a', run=runner.Sync(noop))
    flow = make_flow(zz_second=b, aa_first=a, mm_alias=b, not_activity=1,
                     create=create)
    assert activity.find_workflow_activities(flow) == [a, b]


def test_find_workflow_activities_on_an_object(create):
    a = create(name='a', run=runner.Sync(noop))

    class Flow(object):
        domain = DOMAIN
        name = FLOW
        activity_a = a

    assert activity.find_workflow_activities(Flow()) == [a]


def test_find_activities(create):
    def generator(context):
        yield {'x': 1}
        yield {'x': 2}

    a = create(name='a', run=runner.Sync(noop))
    b = create(name='b', generators=[generator], run=runner.Sync(noop))
    flow = make_flow(a=a, b=b)
    instances = activity.find_activities(flow, {})
    assert [i.activity_name for i in instances] == [
        'flow_a', 'flow_b', 'flow_b']


def test_find_available_activities_first_only(create):
    a = create(name='a', run=runner.Sync(noop))
    b = create(name='b', requires=[a], run=runner.Sync(noop))
    flow = make_flow(a=a, b=b)
    available = list(activity.find_available_activities(flow, {}, {}))
    assert [i.id for i in available] == ['flow_a-1']


def test_find_available_activities_after_requirement(create):
    a = create(name='a', run=runner.Sync(noop))
    b = create(name='b', requires=[a], run=runner.Sync(noop))
    c = create(name='c', requires=[a, b], run=runner.Sync(noop))
    flow = make_flow(a=a, b=b, c=c)

    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    assert list(activity.find_available_activities(
        flow, states_from(history), {})) == []

    history.completed('flow_a-1', {})
    available = activity.find_available_activities(
        flow, states_from(history), {})
    assert [i.id for i in available] == ['flow_b-1']


def test_requirement_needs_every_instance_completed(create):
    def generator(context):
        yield {'n': 1}
        yield {'n': 2}

    a = create(name='a', generators=[generator], run=runner.Sync(noop))
    b = create(name='b', requires=[a], run=runner.Sync(noop))
    flow = make_flow(a=a, b=b)
    ids = [i.id for i in a.instances({})]

    history = EventHistory()
    history.scheduled('flow_a', ids[0])
    history.scheduled('flow_a', ids[1])
    history.completed(ids[0], {})
    assert list(activity.find_available_activities(
        flow, states_from(history), {})) == []

    history.completed(ids[1], {})
    available = activity.find_available_activities(
        flow, states_from(history), {})
    assert [i.id for i in available] == ['flow_b-1']


def test_find_available_activities_schedules_each_generated_instance(create):
    def generator(context):
        for n in range(3):
            yield {'n': n}

    a = create(name='a', generators=[generator], run=runner.Sync(noop))
    flow = make_flow(a=a)
    ids = sorted(i.id for i in a.instances({}))
    history = EventHistory()
    history.scheduled('flow_a', ids[0])
    available = activity.find_available_activities(
        flow, states_from(history), {})
    assert sorted(i.id for i in available) == ids[1:]


def test_find_available_activities_retry(create):
    a = create(name='a', retry=1, run=runner.Sync(noop))
    flow = make_flow(a=a)
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    assert [i.id for i in activity.find_available_activities(
        flow, states_from(history), {})] == ['flow_a-1']

    history.scheduled('flow_a', 'flow_a-1')
    history.timed_out('flow_a-1')
    with pytest.raises(activity.ActivityRetryExceeded, match='flow_a'):
        list(activity.find_available_activities(
            flow, states_from(history), {}))


def test_find_uncomplete_activities(create):
    a = create(name='a', run=runner.Sync(noop))
    b = create(name='b', requires=[a], run=runner.Sync(noop))
    c = create(name='c', run=runner.Sync(noop))
    flow = make_flow(a=a, b=b, c=c)

    history = EventHistory()
    assert [i.id for i in activity.find_uncomplete_activities(
        flow, states_from(history), {})] == [
            'flow_a-1', 'flow_b-1', 'flow_c-1']

    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_c', 'flow_c-1')
    history.completed('flow_a-1', {})
    history.failed('flow_c-1')
    assert [i.id for i in activity.find_uncomplete_activities(
        flow, states_from(history), {})] == ['flow_b-1', 'flow_c-1']

    history.scheduled('flow_b', 'flow_b-1')
    history.scheduled('flow_c', 'flow_c-1')
    history.completed('flow_b-1', {})
    history.completed('flow_c-1', {})
    assert list(activity.find_uncomplete_activities(
        flow, states_from(history), {})) == []


# --- the worker ---

def test_run_completes_with_json_result(create):
    seen = []

    def first(context, activity):
        seen.append(dict(context))
        return {'first': context['value'] + 1}

    def second(context, activity):
        return {'second': context['first'] * 10}

    current = create(name='a', run=runner.Sync(first, second))
    fake = FakeLayer1(tasks=[activity_task({'value': 1})])
    current._swf = fake

    assert current.run(identity='worker-1') is True
    assert fake.polls == [('dev', 'flow_a', 'worker-1')]
    assert len(fake.completed) == 1
    token, result = fake.completed[0]
    assert token == 'token-1'
    assert json.loads(result) == {'first': 2, 'second': 20}
    assert fake.failed == []
    # Both heartbeats came right after the poll: SWF was not called again.
    assert fake.heartbeats == []
    assert seen == [{'value': 1}]


def test_runner_heartbeats_reach_swf_once_the_grace_has_passed(
        create, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(activity.time, 'monotonic', clock)
    grace = activity.HEARTBEAT_GRACE

    def slow(context, **kwargs):
        clock.now += grace * 2
        return {}

    current = create(name='a', run=runner.Sync(slow, slow, slow))
    fake = FakeLayer1(tasks=[activity_task({})])
    current._swf = fake

    current.run()
    # The first heartbeat follows the poll at once; the next two do not.
    assert fake.heartbeats == ['token-1', 'token-1']
    assert len(fake.completed) == 1


def test_heartbeat_within_the_grace_returns_the_last_answer(
        create, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(activity.time, 'monotonic', clock)
    current = create(name='a', run=runner.Sync(lambda context: {}))
    fake = FakeLayer1(tasks=[activity_task({})])
    current._swf = fake
    current.poll()

    assert current.heartbeat() == {'cancelRequested': False}
    assert fake.heartbeats == []
    clock.now += 1
    assert current.heartbeat() == {'cancelRequested': False}
    assert fake.heartbeats == ['token-1']
    # Another task token, or details, always reach SWF.
    current.heartbeat(task_token='token-2')
    current.heartbeat(details='50%')
    assert fake.heartbeats == ['token-1', 'token-2', 'token-1']


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_run_sets_the_log_context_during_the_task(create):
    names = []

    def fn(context, activity):
        names.append(activity.logger.name)

    current = create(name='a', run=runner.Sync(fn))
    current._swf = FakeLayer1(tasks=[activity_task({
        'execution.domain': 'dev', 'execution.workflow_id': 'wf',
        'execution.run_id': 'run'})])
    current.run()
    assert names == ['garcon.dev.wf.run']
    assert current.logger.name == 'garcon'


def test_run_reports_a_failing_task():
    errors = []

    def on_exception(actor, error):
        errors.append((actor, error))

    def broken_task(context, activity):
        raise ValueError('x' * 1000)

    current = activity.create(DOMAIN, FLOW, on_exception=on_exception)(
        name='a', run=runner.Sync(broken_task))
    fake = FakeLayer1(tasks=[activity_task({})])
    current._swf = fake

    assert current.run() is True
    assert fake.completed == []
    assert len(fake.failed) == 1
    failure = fake.failed[0]
    assert failure['task_token'] == 'token-1'
    assert len(failure['reason']) <= 256
    assert 'ValueError' in failure['reason'] or 'xxx' in failure['reason']
    assert 'Traceback' in failure['details']
    assert 'broken_task' in failure['details']
    assert len(errors) == 1
    assert errors[0][0] is current
    assert isinstance(errors[0][1], ValueError)


def test_run_reports_a_result_over_the_limit(create):
    current = create(name='a', run=runner.Sync(
        lambda context, activity: {'big': 'x' * 40000}))
    fake = FakeLayer1(tasks=[activity_task({})])
    current._swf = fake
    assert current.run() is True
    assert fake.completed == []
    assert len(fake.failed) == 1
    assert len(fake.failed[0]['reason']) <= 256
    assert '32' in fake.failed[0]['reason']


def test_run_reports_a_result_that_is_not_json(create):
    current = create(name='a', run=runner.Sync(
        lambda context, activity: {'value': object()}))
    fake = FakeLayer1(tasks=[activity_task({})])
    current._swf = fake
    assert current.run() is True
    assert fake.completed == []
    assert len(fake.failed) == 1


def test_run_poll_error_goes_to_on_exception():
    errors = []
    error = SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#UnknownResourceFault',
        'message': 'Unknown domain'})
    current = activity.create(
        DOMAIN, FLOW, on_exception=lambda actor, e: errors.append(e))(
            name='a', run=runner.Sync(noop))
    fake = FakeLayer1(poll_error=error)
    current._swf = fake

    assert current.run() is True
    assert errors == [error]
    assert fake.completed == [] and fake.failed == []


def test_run_poll_error_without_handler(create, caplog):
    current = create(name='a', run=runner.Sync(noop))
    current._swf = FakeLayer1(poll_error=RuntimeError('network down'))
    with caplog.at_level(logging.ERROR):
        assert current.run() is True
    assert any('network down' in r.getMessage() for r in caplog.records)


def test_run_respond_error_goes_to_on_exception():
    errors = []
    error = SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#UnknownResourceFault',
        'message': 'Unknown activity'})

    class RefusingLayer1(FakeLayer1):
        def respond_activity_task_completed(self, task_token, result=None):
            raise error

    current = activity.create(
        DOMAIN, FLOW, on_exception=lambda actor, e: errors.append(e))(
            name='a', run=runner.Sync(noop))
    current._swf = RefusingLayer1(tasks=[activity_task({})])
    assert current.run() is True
    assert errors == [error]


def test_run_empty_poll(create):
    calls = []
    current = create(name='a', run=runner.Sync(
        lambda context, activity: calls.append(1)))
    fake = FakeLayer1()
    current._swf = fake
    assert current.run() is True
    assert calls == []
    assert fake.completed == [] and fake.failed == []


def test_execute_activity(create):
    current = create(name='a', run=runner.Sync(
        lambda context, activity: {'got': context['in']}))
    current._swf = FakeLayer1()
    current.last_tasktoken = 't'
    assert current.execute_activity({'in': 5}) == {'got': 5}


def test_external_activity_run_returns_false(create):
    current = create(name='ext', external=True, timeout=10)
    assert current.run() is False
    assert activity.ExternalActivity(timeout=5).run() is False


def test_worker_runner_loops_until_false():
    class Worker(object):
        calls = 0

        def run(self):
            self.calls += 1
            return self.calls < 4

    worker = Worker()
    activity.worker_runner(worker)
    assert worker.calls == 4


def test_activity_worker_selects_activities(create):
    a = create(name='a', run=runner.Sync(noop))
    b = create(name='b', run=runner.Sync(noop))
    flow = make_flow(a=a, b=b)
    assert activity.ActivityWorker(flow).activities == [a, b]
    assert activity.ActivityWorker(flow, activities=['b']).activities == [b]
    assert activity.ActivityWorker(
        flow, activities=['flow_a']).activities == [a]


def test_activity_worker_runs_each_activity(create, monkeypatch):
    ran = []

    class Finite(activity.Activity):
        def run(self, identity=None):
            ran.append(self.name)
            return False

    a = Finite(name='flow_a')
    b = Finite(name='flow_b')
    flow = make_flow(a=a, b=b)
    activity.ActivityWorker(flow).run()
    assert sorted(ran) == ['flow_a', 'flow_b']


# --- one evaluation of the flow per decision ---

def test_flow_instances_runs_each_generator_once(create):
    calls = []

    def generator(context):
        calls.append(1)
        for index in range(3):
            yield {'generator.index': index}

    first = create(name='first', run=runner.Sync(noop))
    fan = create(name='fan', requires=[first], generators=[generator],
                 run=runner.Sync(noop))
    flow = make_flow(first=first, fan=fan)
    history = EventHistory()
    history.scheduled('flow_first', 'flow_first-1')
    history.completed('flow_first-1', {})
    instances = flow_instances.FlowInstances(
        flow, states_from(history), {'c': 1})
    available = list(instances.available())
    assert list(instances.uncomplete())
    assert calls == [1]
    assert [i.id for i in available] == [
        i.id for i in fan.instances({'c': 1})]
    assert [i.id for i in available] == [
        i.id for i in activity.find_available_activities(
            flow, states_from(history), {'c': 1})]
    for instance in available:
        assert instance.pool_size == 3
        assert instance.global_context == dict(
            {'c': 1}, **instance.local_context)


def test_flow_instances_honours_an_activity_of_its_own(create):
    class Special(activity.Activity):
        def instances(self, context):
            return [activity.ActivityInstance(
                self, local_context={'special': True},
                execution_context=context)]

    special = Special()
    special.hydrate({'name': 'flow_special', 'domain': DOMAIN,
                     'task_list': 'flow_special', 'run': runner.Sync(noop)})
    flow = make_flow(special=special)
    [instance] = activity.find_available_activities(flow, {}, {})
    assert instance.local_context == {'special': True}
    assert instance.id == 'flow_special-' + sha1_key({'special': True})


def test_requirement_outside_the_flow_is_never_completed(create):
    outside = create(name='outside', run=runner.Sync(noop))
    inside = create(name='inside', requires=[outside], run=runner.Sync(noop))
    flow = make_flow(inside=inside)
    assert list(activity.find_available_activities(flow, {}, {})) == []


def test_dictionary_keys_are_create_dictionary_key():
    from garcon import utils
    keys = utils.DictionaryKeys(size=2)
    for value in ({'a': 1}, {'a': '1'}, {'b': 1, 'a': 2}, {'a': True},
                  {'a': 1}, {'a': 1.0}):
        assert keys(value) == utils.create_dictionary_key(value)
    assert len(keys._keys) <= 2
    with pytest.raises(TypeError):
        keys(['a'])
    with pytest.raises(ValueError):
        keys({})


def test_a_failed_poll_pauses_before_the_next(no_pause_after_poll_errors):
    act = activity.create('dev', 'flow')(
        name='pausing', run=runner.Sync(lambda context, activity: None))

    class FailingPolls(object):
        def poll_for_activity_task(self, *args, **kwargs):
            raise RuntimeError('no such domain')

    act._swf = FailingPolls()
    assert act.run() is True
    assert act.run() is True
    assert len(no_pause_after_poll_errors) == 2
