"""Build fake SWF history events (the JSON shape SWF returns) for tests,
and fake flows.

Each function returns one event dict with its ``eventId``, ``eventType``,
``eventTimestamp`` and the matching ``...EventAttributes`` key. The
:class:`EventHistory` builder numbers events and links the close events of
an activity task to the event that scheduled it (``scheduledEventId``).
"""

import json
import types

TIMESTAMP = 1420070400.0


def noop(context, activity):
    """A task that does nothing."""


def make_flow(name='flow', domain='dev', **attributes):
    """A flow module with the given attributes (its activities)."""
    module = types.ModuleType('fake_flow')
    module.name = name
    module.domain = domain
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def _event(event_id, event_type, attributes):
    key = event_type[0].lower() + event_type[1:] + 'EventAttributes'
    return {
        'eventId': event_id,
        'eventType': event_type,
        'eventTimestamp': TIMESTAMP + event_id,
        key: attributes,
    }


def _encode(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def workflow_execution_started(event_id, input=None, name='flow',
                               version='1.0'):
    """``WorkflowExecutionStarted``; ``input`` is a dict or a raw string."""
    attributes = {
        'workflowType': {'name': name, 'version': version},
        'taskList': {'name': name},
        'childPolicy': 'TERMINATE',
        'executionStartToCloseTimeout': '3600',
        'taskStartToCloseTimeout': '300',
    }
    if input is not None:
        attributes['input'] = _encode(input)
    return _event(event_id, 'WorkflowExecutionStarted', attributes)


def activity_task_scheduled(event_id, activity_name, activity_id,
                            input=None, version='1.0',
                            decision_event_id=None):
    """``ActivityTaskScheduled`` of ``activity_id`` (of ``activity_name``)."""
    attributes = {
        'activityId': activity_id,
        'activityType': {'name': activity_name, 'version': version},
        'taskList': {'name': activity_name},
        'decisionTaskCompletedEventId': decision_event_id or event_id - 1,
        'heartbeatTimeout': '600',
        'scheduleToCloseTimeout': '1200',
        'scheduleToStartTimeout': '600',
        'startToCloseTimeout': '600',
    }
    if input is not None:
        attributes['input'] = _encode(input)
    return _event(event_id, 'ActivityTaskScheduled', attributes)


def activity_task_started(event_id, scheduled_event_id, identity='worker'):
    return _event(event_id, 'ActivityTaskStarted', {
        'scheduledEventId': scheduled_event_id, 'identity': identity})


def activity_task_completed(event_id, scheduled_event_id, result=None,
                            started_event_id=None):
    """``ActivityTaskCompleted``; ``result`` is a dict or a raw string."""
    attributes = {
        'scheduledEventId': scheduled_event_id,
        'startedEventId': started_event_id or scheduled_event_id + 1,
    }
    if result is not None:
        attributes['result'] = _encode(result)
    return _event(event_id, 'ActivityTaskCompleted', attributes)


def activity_task_failed(event_id, scheduled_event_id, reason='boom',
                         details='Traceback', started_event_id=None):
    return _event(event_id, 'ActivityTaskFailed', {
        'scheduledEventId': scheduled_event_id,
        'startedEventId': started_event_id or scheduled_event_id + 1,
        'reason': reason,
        'details': details,
    })


def activity_task_timed_out(event_id, scheduled_event_id,
                            timeout_type='START_TO_CLOSE',
                            started_event_id=None):
    return _event(event_id, 'ActivityTaskTimedOut', {
        'scheduledEventId': scheduled_event_id,
        'startedEventId': started_event_id or scheduled_event_id + 1,
        'timeoutType': timeout_type,
    })


def activity_task_canceled(event_id, scheduled_event_id,
                           started_event_id=None):
    return _event(event_id, 'ActivityTaskCanceled', {
        'scheduledEventId': scheduled_event_id,
        'startedEventId': started_event_id or scheduled_event_id + 1,
        'latestCancelRequestedEventId': scheduled_event_id,
    })


def schedule_activity_task_failed(event_id, activity_name, activity_id,
                                  cause='ACTIVITY_ID_ALREADY_IN_USE',
                                  version='1.0', decision_event_id=None):
    return _event(event_id, 'ScheduleActivityTaskFailed', {
        'activityId': activity_id,
        'activityType': {'name': activity_name, 'version': version},
        'cause': cause,
        'decisionTaskCompletedEventId': decision_event_id or event_id - 1,
    })


def workflow_execution_cancel_requested(event_id,
                                        cause='CHILD_POLICY_APPLIED'):
    return _event(event_id, 'WorkflowExecutionCancelRequested', {
        'cause': cause})


def decision_task_scheduled(event_id, timeout='300'):
    return _event(event_id, 'DecisionTaskScheduled', {
        'taskList': {'name': 'flow'}, 'startToCloseTimeout': timeout})


class EventHistory(object):
    """Build a history event by event, numbering the events from 1.

    The activity methods take the activity *id* and find the event that
    scheduled its last attempt, as SWF does with ``scheduledEventId``::

        history = EventHistory()
        history.started({'key': 'value'})
        history.scheduled('flow_a', 'flow_a-1')
        history.completed('flow_a-1', {'result': 1})
        history.events  # the list of event dicts
    """

    def __init__(self):
        self.events = []
        self._scheduled = {}

    @property
    def next_id(self):
        return len(self.events) + 1

    def _add(self, event):
        self.events.append(event)
        return event['eventId']

    def started(self, input=None, **kwargs):
        return self._add(workflow_execution_started(
            self.next_id, input, **kwargs))

    def scheduled(self, activity_name, activity_id, input=None, **kwargs):
        event_id = self._add(activity_task_scheduled(
            self.next_id, activity_name, activity_id, input, **kwargs))
        self._scheduled[activity_id] = event_id
        return event_id

    def task_started(self, activity_id):
        return self._add(activity_task_started(
            self.next_id, self._scheduled[activity_id]))

    def completed(self, activity_id, result=None):
        return self._add(activity_task_completed(
            self.next_id, self._scheduled[activity_id], result))

    def failed(self, activity_id, reason='boom'):
        return self._add(activity_task_failed(
            self.next_id, self._scheduled[activity_id], reason))

    def timed_out(self, activity_id, timeout_type='START_TO_CLOSE'):
        return self._add(activity_task_timed_out(
            self.next_id, self._scheduled[activity_id], timeout_type))

    def canceled(self, activity_id):
        return self._add(activity_task_canceled(
            self.next_id, self._scheduled[activity_id]))

    def schedule_failed(self, activity_name, activity_id,
                        cause='ACTIVITY_ID_ALREADY_IN_USE'):
        return self._add(schedule_activity_task_failed(
            self.next_id, activity_name, activity_id, cause))

    def cancel_requested(self):
        return self._add(workflow_execution_cancel_requested(self.next_id))

    def decision_scheduled(self, timeout='300'):
        return self._add(decision_task_scheduled(self.next_id, timeout))
