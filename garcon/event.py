"""Read an execution's history.

The history is the only memory of an execution: the decider reads it at
every decision to know what each activity instance did (its states) and what
the activities returned (the context). :class:`History` reads both, and the
failure events, in one pass over the events.
"""

from garcon import activity
from garcon import context as execution_context

SCHEDULED_EVENT = 'ActivityTaskScheduled'
SCHEDULE_FAILED_EVENT = 'ScheduleActivityTaskFailed'
CANCEL_REQUESTED_EVENT = 'WorkflowExecutionCancelRequested'

# An activity task closes with one of these events, each of which points
# back to the event that scheduled it.
CLOSE_EVENTS = {
    'ActivityTaskCompleted': 'activityTaskCompletedEventAttributes',
    'ActivityTaskFailed': 'activityTaskFailedEventAttributes',
    'ActivityTaskTimedOut': 'activityTaskTimedOutEventAttributes',
    'ActivityTaskCanceled': 'activityTaskCanceledEventAttributes',
}


class ScheduleFailure(object):
    """An activity SWF refused to schedule (``ScheduleActivityTaskFailed``).

    Attributes:
        activity_id (str): the id of the activity.
        activity_name (str): the name of its type.
        cause (str): SWF's cause, such as ``ACTIVITY_ID_ALREADY_IN_USE``.
    """

    def __init__(self, activity_id, activity_name, cause):
        self.activity_id = activity_id
        self.activity_name = activity_name
        self.cause = cause

    def __str__(self):
        return 'SWF could not schedule activity {} ({}): {}'.format(
            self.activity_name, self.activity_id, self.cause)


def failure_reason(event_type, attributes):
    """Describe why an activity task closed without a result."""
    if event_type == 'ActivityTaskFailed':
        return attributes.get('reason') or 'failed'
    if event_type == 'ActivityTaskTimedOut':
        return 'timed out ({})'.format(attributes.get('timeoutType'))
    return 'canceled'


class History(object):
    """What the decider needs from an execution's history.

    Attributes:
        states (dict): activity type name -> activity id ->
            :class:`~garcon.activity.ActivityState`.
        context (ExecutionContext): the current context.
        schedule_failures (list): :class:`ScheduleFailure` instances.
        cancel_requested (bool): a cancel of the execution was requested.

    Args:
        events (list): the events, in the order of the history.

    Raises:
        WorkflowInputError: the workflow input is not a JSON object.
    """

    def __init__(self, events=()):
        self.states = {}
        self.context = execution_context.ExecutionContext()
        self.schedule_failures = []
        self.cancel_requested = False
        self._scheduled = {}
        for event in events:
            self.add(event)

    def add(self, event):
        """Read one more event."""
        event_type = event['eventType']
        if event_type == SCHEDULED_EVENT:
            self._add_scheduled(event)
        elif event_type in CLOSE_EVENTS:
            self._add_closed(event, event_type)
        elif event_type == SCHEDULE_FAILED_EVENT:
            attributes = event['scheduleActivityTaskFailedEventAttributes']
            self.schedule_failures.append(ScheduleFailure(
                attributes.get('activityId'),
                attributes.get('activityType', {}).get('name'),
                attributes.get('cause')))
        elif event_type == CANCEL_REQUESTED_EVENT:
            self.cancel_requested = True
        self.context.add_event(event)

    def _add_scheduled(self, event):
        attributes = event['activityTaskScheduledEventAttributes']
        name = attributes['activityType']['name']
        activity_id = attributes['activityId']
        self._scheduled[event['eventId']] = (name, activity_id)
        instances = self.states.setdefault(name, {})
        state = instances.get(activity_id)
        if state is None:
            state = instances[activity_id] = activity.ActivityState(
                activity_id)
        state.add_state(activity.ACTIVITY_SCHEDULED)

    def _add_closed(self, event, event_type):
        attributes = event[CLOSE_EVENTS[event_type]]
        name, activity_id = self._scheduled[attributes['scheduledEventId']]
        state = self.states[name][activity_id]
        if event_type == 'ActivityTaskCompleted':
            state.add_state(activity.ACTIVITY_COMPLETED)
            state.set_result(execution_context.decode_result(
                attributes.get('result')))
        else:
            state.add_state(activity.ACTIVITY_FAILED)
            state.failure_reason = failure_reason(event_type, attributes)


def activity_states_from_events(events):
    """Get activity states from a list of events.

    Only activities that have been scheduled appear: the others have no
    state yet. A completed activity's result is its decoded JSON result
    (``{}`` when empty); a failed, timed-out or canceled activity is
    :data:`~garcon.activity.ACTIVITY_FAILED`.

    Args:
        events (list): list of all the events.

    Returns:
        dict: activity type name -> activity id -> ActivityState.
    """
    return History(events).states


def get_current_context(events):
    """Get the current context from the list of events.

    Each activity returns bits of information that are given to the next
    activities: the context is the workflow input, updated with each
    completed activity's result in the order of the history.

    Args:
        events (list): list of events.

    Returns:
        ExecutionContext: the current context (a dict, which also has
        ``workflow_input``).
    """
    return execution_context.ExecutionContext(events)
