import threading

import pytest

from garcon import param
from garcon import runner
from garcon import task


class FakeActivity(object):
    """Counts heartbeats and records them in a shared log."""

    def __init__(self, log=None):
        self.heartbeats = 0
        self.log = log if log is not None else []
        self.lock = threading.Lock()

    def heartbeat(self, *args, **kwargs):
        with self.lock:
            self.heartbeats += 1
            self.log.append('heartbeat')


def make_task(timeout=None, heartbeat=None):
    def fn(context, activity):
        pass
    if timeout:
        fn = task.timeout(timeout, heartbeat)(fn)
    return fn


def test_constants():
    assert runner.DEFAULT_TASK_TIMEOUT == 600
    assert runner.DEFAULT_TASK_HEARTBEAT == 600


def test_timeout_is_the_sum_of_the_tasks_as_a_string():
    current = runner.Sync(make_task(10), make_task(20), make_task(30))
    assert current.timeout({}) == '60'


def test_timeout_defaults_to_600_per_task():
    current = runner.Sync(make_task(), make_task(15))
    assert current.timeout({}) == '615'
    assert runner.Async(make_task(), make_task()).timeout({}) == '1200'


def test_timeout_of_a_single_task():
    assert runner.Sync(make_task()).timeout() == '600'


def test_heartbeat_is_the_largest_as_a_string():
    current = runner.Sync(
        make_task(100, heartbeat=5), make_task(100, heartbeat=40),
        make_task(100, heartbeat=20))
    assert current.heartbeat({}) == '40'


def test_heartbeat_defaults_to_600():
    assert runner.Sync(make_task(10, heartbeat=5), make_task()).heartbeat(
        {}) == '600'
    assert runner.Sync(make_task(10), make_task(30)).heartbeat({}) == '30'


def test_task_list_changes_the_timeout_per_context():
    @task.list
    def tasks(context):
        yield make_task(10)
        if context.get('more'):
            yield make_task(100, heartbeat=90)

    current = runner.Sync(make_task(1), tasks)
    assert current.timeout({}) == '11'
    assert current.timeout({'more': True}) == '111'
    assert current.heartbeat({}) == '10'
    assert current.heartbeat({'more': True}) == '90'


def test_requirements_is_the_set_of_keys():
    @task.decorate()
    def first(activity, a, b):
        pass

    @task.decorate()
    def second(activity, c, d):
        pass

    current = runner.Sync(
        first.fill(a='ctx.a', b='ctx.b'),
        second.fill(c='ctx.a', d=param.StaticParam(1)))
    requirements = current.requirements({})
    assert isinstance(requirements, set)
    assert requirements == {'ctx.a', 'ctx.b'}


def test_requirements_of_a_task_list():
    @task.decorate()
    def fn(activity, a):
        pass

    @task.list
    def tasks(context):
        yield fn.fill(a='ctx.a')
        if context.get('flag'):
            yield fn.fill(a='ctx.flagged')

    current = runner.Sync(tasks)
    assert current.requirements({}) == {'ctx.a'}
    assert current.requirements({'flag': 1}) == {'ctx.a', 'ctx.flagged'}


def test_requirements_missing():
    @task.decorate()
    def fn(activity, a):
        pass

    def not_filled(context, activity):
        pass

    current = runner.Sync(fn.fill(a='ctx.a'), not_filled)
    with pytest.raises(runner.NoRunnerRequirementsFound):
        current.requirements({})


def test_requirements_decorated_but_not_filled():
    @task.decorate()
    def fn(activity, a):
        pass

    with pytest.raises(runner.NoRunnerRequirementsFound):
        runner.Sync(fn).requirements({})


def test_sync_runs_in_order_with_heartbeat_before_each_task():
    log = []
    activity = FakeActivity(log)
    seen = []

    def first(context, activity):
        log.append('first')
        seen.append(dict(context))
        return {'first': 1}

    def second(context, activity):
        log.append('second')
        seen.append(dict(context))
        return {'second': 2}

    def third(context, activity):
        log.append('third')
        seen.append(dict(context))

    context = {'input': 'x'}
    result = runner.Sync(first, second, third).execute(activity, context)

    assert result == {'first': 1, 'second': 2}
    assert log == ['heartbeat', 'first', 'heartbeat', 'second',
                   'heartbeat', 'third']
    assert activity.heartbeats == 3
    assert seen == [
        {'input': 'x'},
        {'input': 'x', 'first': 1},
        {'input': 'x', 'first': 1, 'second': 2}]
    assert context == {'input': 'x'}


def test_sync_passes_the_activity():
    activity = FakeActivity()
    received = []

    def fn(context, activity):
        received.append(activity)

    runner.Sync(fn).execute(activity, {})
    assert received == [activity]


def test_sync_later_results_override_earlier():
    result = runner.Sync(
        lambda context, activity: {'k': 1, 'a': 1},
        lambda context, activity: {'k': 2}).execute(FakeActivity(), {})
    assert result == {'k': 2, 'a': 1}


def test_sync_with_filled_tasks():
    @task.decorate()
    def produce(activity, value):
        return {'produced': value * 2}

    @task.decorate()
    def consume(activity, produced):
        return {'consumed': produced + 1}

    result = runner.Sync(
        produce.fill(value='value'),
        consume.fill(produced='produced')).execute(
            FakeActivity(), {'value': 5})
    assert result == {'produced': 10, 'consumed': 11}


def test_sync_stops_at_a_failing_task():
    log = []

    def boom(context, activity):
        raise RuntimeError('boom')

    def after(context, activity):
        log.append('after')

    with pytest.raises(RuntimeError):
        runner.Sync(boom, after).execute(FakeActivity(), {})
    assert log == []


def test_async_runs_every_task_and_merges():
    activity = FakeActivity()
    ran = []
    lock = threading.Lock()

    def make(index):
        def fn(context, activity):
            with lock:
                ran.append(index)
            assert context['input'] == 'x'
            return {'task{}'.format(index): index}
        return fn

    result = runner.Async(*[make(i) for i in range(5)]).execute(
        activity, {'input': 'x'})
    assert sorted(ran) == [0, 1, 2, 3, 4]
    assert result == {'task0': 0, 'task1': 1, 'task2': 2, 'task3': 3,
                      'task4': 4}
    assert activity.heartbeats == 5


def test_async_runs_tasks_in_parallel():
    barrier = threading.Barrier(3, timeout=5)

    def fn(context, activity):
        barrier.wait()
        return {threading.current_thread().name: True}

    result = runner.Async(fn, fn, fn).execute(FakeActivity(), {})
    assert len(result) == 3


def test_async_max_workers(monkeypatch):
    created = []

    class RecordingExecutor(runner.futures.ThreadPoolExecutor):
        def __init__(self, max_workers=None, *args, **kwargs):
            created.append(max_workers)
            super(RecordingExecutor, self).__init__(
                max_workers, *args, **kwargs)

    monkeypatch.setattr(
        runner.futures, 'ThreadPoolExecutor', RecordingExecutor)

    def fn(context, activity):
        return {}

    assert runner.Async(fn).max_workers == 3
    assert runner.Async(fn, max_workers=7).max_workers == 7
    runner.Async(fn, fn, max_workers=2).execute(FakeActivity(), {})
    runner.Async(fn).execute(FakeActivity(), {})
    assert created == [2, 3]


def test_async_unknown_argument():
    with pytest.raises(TypeError):
        runner.Async(lambda context, activity: None, workers=2)


def test_async_propagates_errors():
    def boom(context, activity):
        raise ValueError('async boom')

    with pytest.raises(ValueError, match='async boom'):
        runner.Async(boom).execute(FakeActivity(), {})


def test_async_timeout_and_heartbeat():
    current = runner.Async(make_task(10, 3), make_task(20, 7))
    assert current.timeout({}) == '30'
    assert current.heartbeat({}) == '7'


def test_external_timeout_and_heartbeat():
    external = runner.External(timeout=120, heartbeat=30)
    assert external.timeout({}) == '120'
    assert external.heartbeat({}) == '30'


def test_external_heartbeat_defaults_to_timeout():
    external = runner.External(timeout=120)
    assert external.timeout() == '120'
    assert external.heartbeat() == '120'


def test_external_cannot_execute():
    with pytest.raises(NotImplementedError):
        runner.External(timeout=1).execute(FakeActivity(), {})


def test_base_runner_execute_not_implemented():
    with pytest.raises(NotImplementedError):
        runner.BaseRunner().execute(FakeActivity(), {})


def test_runners_are_base_runners():
    for cls in (runner.Sync, runner.Async, runner.External):
        assert issubclass(cls, runner.BaseRunner)


def test_call_task_activity_then_context():
    activity = FakeActivity()
    received = []
    result = runner.call_task(
        lambda activity, context: received.append((activity, context)) or {
            'ok': 1},
        {'k': 'v'}, activity)
    assert result == {'ok': 1}
    assert received == [(activity, {'k': 'v'})]


def test_call_task_context_then_activity():
    activity = FakeActivity()
    received = []
    result = runner.call_task(
        lambda context, activity: received.append((context, activity)) or {
            'ok': 2},
        {'k': 'v'}, activity)
    assert result == {'ok': 2}
    assert received == [({'k': 'v'}, activity)]


def test_call_task_context_and_activity_keyword():
    received = []

    def fn(context, **kwargs):
        received.append((context, kwargs))

    activity = FakeActivity()
    assert runner.call_task(fn, {'a': 1}, activity) == {}
    assert received == [({'a': 1}, {'activity': activity})]


def test_call_task_none_gives_empty_dict():
    assert runner.call_task(
        lambda context, activity: None, {}, FakeActivity()) == {}


def test_call_task_non_dict_result_names_the_task():
    def returns_a_list(context, activity):
        return [1, 2]

    with pytest.raises(TypeError, match='returns_a_list'):
        runner.call_task(returns_a_list, {}, FakeActivity())


def test_sync_non_dict_result_raises():
    def returns_a_string(context, activity):
        return 'nope'

    with pytest.raises(TypeError, match='returns_a_string'):
        runner.Sync(returns_a_string).execute(FakeActivity(), {})


def test_a_result_that_is_not_json_names_the_task():
    def make_set(context, activity):
        return {'values': {1, 2}}

    with pytest.raises(TypeError, match='make_set.*not JSON-serializable'):
        runner.call_task(make_set, {}, None)


def test_context_free_runners():
    @task.decorate(timeout=5)
    def fixed(activity):
        pass

    @task.list
    def per_context(context):
        yield fixed.fill()

    class OwnTimeout(runner.Sync):
        def timeout(self, context=None):
            return str(len(context or ()))

    class OwnTasks(runner.Sync):
        def flatten(self, context=None):
            return [fixed] * len(context or ())

    assert runner.context_free(runner.Sync(fixed.fill(), make_task(3)))
    assert runner.context_free(runner.Async(fixed.fill()))
    assert runner.context_free(runner.External(timeout=10))
    assert not runner.context_free(runner.Sync(fixed.fill(), per_context))
    assert not runner.context_free(OwnTimeout(fixed.fill()))
    assert not runner.context_free(OwnTasks(fixed.fill()))
