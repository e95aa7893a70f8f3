import pytest

from garcon import param
from garcon import task


class FakeActivity(object):
    name = 'fake'


def test_timeout_decorator_records_timeout_and_heartbeat():
    @task.timeout(100)
    def fn(context, activity):
        pass

    assert task.get_timeout(fn, 600) == 100
    assert task.get_heartbeat(fn, 600) == 100


def test_timeout_decorator_with_heartbeat():
    @task.timeout(100, heartbeat=20)
    def fn(context, activity):
        pass

    assert task.get_timeout(fn, 600) == 100
    assert task.get_heartbeat(fn, 600) == 20


def test_defaults_when_not_decorated():
    def fn(context, activity):
        pass

    assert task.get_timeout(fn, 600) == 600
    assert task.get_heartbeat(fn, 42) == 42
    assert task.get_requirements(fn) is None


def test_decorate_heartbeat_defaults_to_timeout():
    @task.decorate(timeout=50)
    def fn(activity):
        pass

    assert task.get_timeout(fn, 600) == 50
    assert task.get_heartbeat(fn, 600) == 50
    assert callable(fn.fill)


def test_decorate_heartbeat():
    @task.decorate(timeout=50, heartbeat=10)
    def fn(activity):
        pass

    assert task.get_heartbeat(fn, 600) == 10
    filled = fn.fill()
    assert task.get_timeout(filled, 600) == 50
    assert task.get_heartbeat(filled, 600) == 10


def test_decorate_without_contextify():
    @task.decorate(timeout=5, enable_contextify=False)
    def fn(context, activity):
        pass

    assert not hasattr(fn, 'fill')
    assert task.get_timeout(fn, 600) == 5


def test_decorate_keeps_the_function_callable():
    @task.decorate()
    def fn(activity, value):
        return {'value': value}

    assert fn(activity=None, value=3) == {'value': 3}


def test_fill_passes_activity_and_params():
    calls = []

    @task.decorate()
    def fn(activity, user, email):
        calls.append((activity, user, email))
        return {'done': True}

    act = FakeActivity()
    filled = fn.fill(user='user.id', email='user.email')
    result = filled(
        {'user.id': 7, 'user.email': 'a@b.c', 'other': 1}, activity=act)
    assert result == {'done': True}
    assert calls == [(act, 7, 'a@b.c')]


def test_fill_without_activity_argument():
    @task.decorate()
    def fn(value):
        return {'twice': value * 2}

    assert fn.fill(value='v')({'v': 4}, activity=FakeActivity()) == {
        'twice': 8}


def test_fill_with_params_objects():
    @task.decorate()
    def fn(activity, a, b):
        return {'a': a, 'b': b}

    filled = fn.fill(a=param.StaticParam('static'), b=param.Param('key'))
    assert filled({'key': 'dynamic'}, activity=None) == {
        'a': 'static', 'b': 'dynamic'}


def test_fill_missing_context_key_gives_none():
    @task.decorate()
    def fn(activity, a):
        return {'a': a}

    assert fn.fill(a='missing')({}, activity=None) == {'a': None}


def test_fill_records_requirements_and_timeouts():
    @task.decorate(timeout=30)
    def fn(activity, a, b):
        pass

    filled = fn.fill(a='ctx.a', b=param.StaticParam(1))
    requirements = task.get_requirements(filled)
    assert set(requirements) == {'a', 'b'}
    assert list(param.get_all_requirements(requirements.values())) == [
        'ctx.a']
    assert task.get_timeout(filled, 600) == 30


def test_fill_namespace_prefixes_keys():
    @task.decorate()
    def fn(activity):
        return {'key': 'value', 'index': 'storage'}

    filled = fn.fill(namespace='ns')
    assert filled({}, activity=None) == {
        'ns.key': 'value', 'ns.index': 'storage'}


def test_fill_namespace_with_none_result():
    @task.decorate()
    def fn(activity):
        return None

    assert fn.fill(namespace='ns')({}, activity=None) is None


def test_task_declaring_context_raises():
    @task.decorate()
    def fn(activity, context):
        pass

    with pytest.raises(TypeError):
        filled = fn.fill()
        filled({}, activity=None)


def test_fill_unknown_argument_raises():
    @task.decorate()
    def fn(activity, a):
        pass

    with pytest.raises(TypeError):
        fn.fill(b='ctx.b')


def test_fill_invalid_param_raises():
    @task.decorate()
    def fn(activity, a):
        pass

    with pytest.raises(param.UnknownParamException):
        fn.fill(a=12)


def test_contextify_directly():
    def fn(activity, table_name=None, table_index=None):
        return {'name': table_name, 'index': table_index}

    task.contextify(fn)
    filled = fn.fill(table_name='dynamodb.table_name1',
                     table_index='dynamodb.table_index1')
    context = {'dynamodb.table_name1': 'table',
               'dynamodb.table_index1': 'index'}
    assert filled(context, activity=None) == {
        'name': 'table', 'index': 'index'}


def test_fill_function_call():
    act = FakeActivity()

    def fn(activity, a, b, c=None):
        pass

    arguments = task.fill_function_call(
        fn, {'a': 'ctx.a', 'b': param.StaticParam(2)}, act, {'ctx.a': 1})
    assert arguments == {'activity': act, 'a': 1, 'b': 2}


def test_fill_function_call_rejects_context():
    def fn(activity, context):
        pass

    with pytest.raises(TypeError):
        task.fill_function_call(fn, {}, None, {})


def test_namespace_result():
    resp = dict(key='value', index='storage')
    assert task.namespace_result(resp, 'namespace') == {
        'namespace.index': 'storage', 'namespace.key': 'value'}
    assert task.namespace_result({}, 'namespace') == {}


def test_list_and_is_task_list():
    @task.list
    def tasks(context):
        yield lambda context, activity: None

    def plain(context, activity):
        pass

    assert task.is_task_list(tasks)
    assert not task.is_task_list(plain)


def test_flatten_without_lists_keeps_order():
    def a(context, activity):
        pass

    def b(context, activity):
        pass

    assert list(task.flatten([a, b], {})) == [a, b]


def test_flatten_with_a_task_list_reading_the_context():
    def first(context, activity):
        pass

    def optional(context, activity):
        pass

    def last(context, activity):
        pass

    seen = []

    @task.list
    def tasks(context):
        seen.append(context)
        if context.get('with_optional'):
            yield optional
        yield last

    assert list(task.flatten([first, tasks], {'with_optional': True})) == [
        first, optional, last]
    assert list(task.flatten([first, tasks], {})) == [first, last]
    assert seen == [{'with_optional': True}, {}]
