import pytest

from garcon import context

from tests.helpers import EventHistory


def build_events():
    history = EventHistory()
    history.started({'input': 'start', 'shared': 'input'})
    history.decision_scheduled()
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_a-1', {'shared': 'from_a', 'a': 1})
    history.completed('flow_b-1', {'shared': 'from_b', 'b': 2})
    return history.events


def test_context_from_events():
    current = context.ExecutionContext(build_events())
    assert dict(current) == {
        'input': 'start', 'shared': 'from_b', 'a': 1, 'b': 2}


def test_results_merged_in_event_order():
    history = EventHistory()
    history.started({'k': 0})
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_b-1', {'k': 'b'})
    history.completed('flow_a-1', {'k': 'a'})
    assert context.ExecutionContext(history.events)['k'] == 'a'


def test_workflow_input_is_kept_apart():
    current = context.ExecutionContext(build_events())
    assert current.workflow_input == {'input': 'start', 'shared': 'input'}


def test_current_is_the_context():
    current = context.ExecutionContext(build_events())
    assert current.current == dict(current)
    assert current.current['a'] == 1


def test_is_a_dict():
    current = context.ExecutionContext(build_events())
    assert isinstance(current, dict)
    assert current.get('b') == 2


def test_no_events():
    current = context.ExecutionContext()
    assert dict(current) == {}
    assert current.workflow_input == {}


def test_no_input():
    history = EventHistory()
    history.started()
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'a': 1})
    current = context.ExecutionContext(history.events)
    assert current.workflow_input == {}
    assert dict(current) == {'a': 1}


def test_empty_result_adds_nothing():
    history = EventHistory()
    history.started({'a': 1})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1')
    assert dict(context.ExecutionContext(history.events)) == {'a': 1}


def test_failed_activities_add_nothing():
    history = EventHistory()
    history.started({'a': 1})
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    assert dict(context.ExecutionContext(history.events)) == {'a': 1}


def test_set_workflow_execution_info():
    current = context.ExecutionContext(build_events())
    current.set_workflow_execution_info(
        {'workflowId': 'wf-1', 'runId': 'run-1'}, 'dev')
    assert current['execution.domain'] == 'dev'
    assert current['execution.workflow_id'] == 'wf-1'
    assert current['execution.run_id'] == 'run-1'
    assert current['a'] == 1
    assert 'execution.domain' not in current.workflow_input


@pytest.mark.parametrize('raw', ['{not json', '{"a": 1', 'nope'])
def test_invalid_json_input(raw):
    history = EventHistory()
    history.started(raw)
    with pytest.raises(context.WorkflowInputError):
        context.ExecutionContext(history.events)


@pytest.mark.parametrize('raw', ['[1, 2]', '"text"', '3', 'true'])
def test_non_object_input(raw):
    history = EventHistory()
    history.started(raw)
    with pytest.raises(context.WorkflowInputError):
        context.ExecutionContext(history.events)


def test_workflow_input_error_is_a_value_error():
    assert issubclass(context.WorkflowInputError, ValueError)


def test_decode_helpers():
    assert context.decode_workflow_input(None) == {}
    assert context.decode_workflow_input('') == {}
    assert context.decode_workflow_input('{"a": [1]}') == {'a': [1]}
    assert context.decode_result(None) == {}
    assert context.decode_result('') == {}
    assert context.decode_result('{"r": 1}') == {'r': 1}


@pytest.mark.parametrize('value', [
    {}, {'a': 1, 'b': [1, 2.5, None, True, False], 'c': {'d': 'é"\n\\'}},
    {'nan': float('nan'), 'inf': float('-inf')}, {1: 'integer key'},
    ['not', 'a', 'dict'], 'text'])
def test_encode_json_is_json_dumps(value):
    import json
    assert context.encode_json(value) == json.dumps(value)


def test_encode_json_errors_are_json_dumps_errors():
    circular = {}
    circular['self'] = circular
    with pytest.raises(ValueError, match='Circular reference'):
        context.encode_json(circular)
    with pytest.raises(TypeError, match='not JSON serializable'):
        context.encode_json({'value': object()})
