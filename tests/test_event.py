import pytest

from garcon import activity
from garcon import context
from garcon import event

from tests.helpers import EventHistory


def states_of(history):
    return event.activity_states_from_events(history.events)


def test_scheduled():
    history = EventHistory()
    history.started({})
    history.scheduled('flow_a', 'flow_a-1')
    states = states_of(history)
    assert list(states) == ['flow_a']
    state = states['flow_a']['flow_a-1']
    assert isinstance(state, activity.ActivityState)
    assert state.get_last_state() == activity.ACTIVITY_SCHEDULED
    assert not state.ready


def test_started_keeps_scheduled():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.task_started('flow_a-1')
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.get_last_state() == activity.ACTIVITY_SCHEDULED


def test_completed_with_result():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.task_started('flow_a-1')
    history.completed('flow_a-1', {'answer': 42})
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.get_last_state() == activity.ACTIVITY_COMPLETED
    assert state.ready
    assert state.result == {'answer': 42}


def test_completed_without_result():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1')
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.result == {}


def test_completed_with_empty_result_string():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', '')
    assert states_of(history)['flow_a']['flow_a-1'].result == {}


def test_failed():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1', reason='it broke')
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.get_last_state() == activity.ACTIVITY_FAILED
    assert state.states == [
        activity.ACTIVITY_SCHEDULED, activity.ACTIVITY_FAILED]
    assert 'it broke' in state.failure_reason


def test_timed_out_counts_as_failed():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.timed_out('flow_a-1', 'HEARTBEAT')
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.get_last_state() == activity.ACTIVITY_FAILED
    assert activity.count_activity_failures(state) == 1
    assert 'HEARTBEAT' in state.failure_reason


def test_canceled_counts_as_failed():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.canceled('flow_a-1')
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.get_last_state() == activity.ACTIVITY_FAILED
    assert activity.count_activity_failures(state) == 1


def test_retries_accumulate_on_one_state():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.failed('flow_a-1')
    history.scheduled('flow_a', 'flow_a-1')
    history.timed_out('flow_a-1')
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'done': True})
    state = states_of(history)['flow_a']['flow_a-1']
    assert state.states == [
        activity.ACTIVITY_SCHEDULED, activity.ACTIVITY_FAILED,
        activity.ACTIVITY_SCHEDULED, activity.ACTIVITY_FAILED,
        activity.ACTIVITY_SCHEDULED, activity.ACTIVITY_COMPLETED]
    assert activity.count_activity_failures(state) == 2
    assert state.result == {'done': True}


def test_states_keyed_by_name_then_id():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_b', 'flow_b-x')
    history.scheduled('flow_b', 'flow_b-y')
    history.completed('flow_b-y', {'y': 1})
    states = states_of(history)
    assert sorted(states) == ['flow_a', 'flow_b']
    assert sorted(states['flow_b']) == ['flow_b-x', 'flow_b-y']
    assert states['flow_b']['flow_b-x'].get_last_state() == (
        activity.ACTIVITY_SCHEDULED)
    assert states['flow_b']['flow_b-y'].get_last_state() == (
        activity.ACTIVITY_COMPLETED)


def test_close_events_match_their_scheduled_event():
    # Two instances scheduled, closed in the opposite order.
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_a', 'flow_a-2')
    history.failed('flow_a-2')
    history.completed('flow_a-1', {'first': True})
    states = states_of(history)['flow_a']
    assert states['flow_a-1'].result == {'first': True}
    assert states['flow_a-2'].get_last_state() == activity.ACTIVITY_FAILED


def test_no_activity_events():
    history = EventHistory()
    history.started({'a': 1})
    history.decision_scheduled()
    assert states_of(history) == {}


def test_history_schedule_failures():
    history = EventHistory()
    history.started({})
    history.schedule_failed('flow_a', 'flow_a-1', 'ACTIVITY_TYPE_DEPRECATED')
    parsed = event.History(history.events)
    assert len(parsed.schedule_failures) == 1
    failure = parsed.schedule_failures[0]
    assert failure.activity_id == 'flow_a-1'
    assert failure.activity_name == 'flow_a'
    assert failure.cause == 'ACTIVITY_TYPE_DEPRECATED'
    assert 'ACTIVITY_TYPE_DEPRECATED' in str(failure)
    assert parsed.cancel_requested is False


def test_history_cancel_requested():
    history = EventHistory()
    history.started({})
    parsed = event.History(history.events)
    assert parsed.cancel_requested is False
    history.cancel_requested()
    assert event.History(history.events).cancel_requested is True


def test_history_states_and_context():
    history = EventHistory()
    history.started({'in': 1})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'out': 2})
    parsed = event.History(history.events)
    assert parsed.states['flow_a']['flow_a-1'].result == {'out': 2}
    assert dict(parsed.context) == {'in': 1, 'out': 2}
    assert parsed.schedule_failures == []


def test_get_current_context():
    history = EventHistory()
    history.started({'in': 1, 'over': 'input'})
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'out': 2, 'over': 'a'})
    current = event.get_current_context(history.events)
    assert isinstance(current, context.ExecutionContext)
    assert dict(current) == {'in': 1, 'out': 2, 'over': 'a'}
    assert current.workflow_input == {'in': 1, 'over': 'input'}
    assert current.current['out'] == 2


def test_get_current_context_invalid_input():
    history = EventHistory()
    history.started('[1]')
    with pytest.raises(context.WorkflowInputError):
        event.get_current_context(history.events)


# --- reading a history in parts ---

def test_extend_reads_on_where_it_stopped():
    history = EventHistory()
    history.started({'k': 0})
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_b', 'flow_b-1')
    history.completed('flow_a-1', {'k': 'a'})
    history.failed('flow_b-1')
    history.scheduled('flow_b', 'flow_b-1')
    whole = event.History(history.events)
    parts = event.History(history.events[:3])
    parts.extend(history.events[3:])
    assert dict(parts.context) == dict(whole.context) == {'k': 'a'}
    assert {name: {i: s.states for i, s in ids.items()}
            for name, ids in parts.states.items()} == {
        name: {i: s.states for i, s in ids.items()}
        for name, ids in whole.states.items()}
    assert parts.last_event is history.events[-1]
    assert parts.last_event_id == whole.last_event_id == 6


def test_open_activities_are_counted_by_last_state():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.scheduled('flow_a', 'flow_a-2')
    history.scheduled('flow_a', 'flow_a-3')
    history.completed('flow_a-1', {})
    history.timed_out('flow_a-2')
    history.scheduled('flow_a', 'flow_a-2')
    read = event.History(history.events)
    from garcon import decider
    assert read.open_activities == 2
    assert decider.count_open_activities(read.states) == 2


def test_results_are_decoded_when_read():
    history = EventHistory()
    history.scheduled('flow_a', 'flow_a-1')
    history.completed('flow_a-1', {'answer': [42]})
    state = event.History(history.events).states['flow_a']['flow_a-1']
    assert state.result == {'answer': [42]}
    assert state.result is state.result
    with pytest.raises(ValueError):
        state.set_result({})


def test_decode_result_is_json_loads():
    for text in ('{"a": 1}', ' {"a": 1}', '{"a": 1} ', '[1, 2]', '1',
                 'null', '"x"', '{"a": NaN}'):
        assert repr(context.decode_result(text)) == repr(__import__(
            'json').loads(text))
    for text in ('{"a": 1} x', '{', '\ufeff{}'):
        with pytest.raises(ValueError):
            context.decode_result(text)


def test_context_copy_shares_nothing_mutable():
    history = EventHistory()
    history.started({'items': [1], 'nested': {'k': [2]}, 'n': 1})
    original = context.ExecutionContext(history.events)
    copy = original.copy()
    assert isinstance(copy, context.ExecutionContext)
    assert copy == original and copy.workflow_input == original.workflow_input
    copy['items'].append('x')
    copy['nested']['k'].append('y')
    copy.workflow_input['items'].append('z')
    assert original == {'items': [1], 'nested': {'k': [2]}, 'n': 1}
    assert original.workflow_input == original


def test_the_last_decision_task_timeout_is_kept():
    history = EventHistory()
    history.started({})
    read = event.History(history.events)
    assert read.decision_task_timeout is None
    history.decision_scheduled('30')
    history.decision_scheduled('12')
    read.extend(history.events[1:])
    assert read.decision_task_timeout == 12.0
    history.scheduled('flow_a', 'flow_a-1')
    read.extend(history.events[3:])
    assert read.decision_task_timeout == 12.0
    history.decision_scheduled('NONE')
    read.add(history.events[-1])
    assert read.decision_task_timeout is None
