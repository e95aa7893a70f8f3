"""Read an execution's history.

The history is the only memory of an execution: the decider reads it at
every decision to know what each activity instance did (its states) and what
the activities returned (the context). :class:`History` reads both, and the
failure events, in one pass over the events.
"""

from garcon import activity
from garcon import context as execution_context

_SCHEDULED = activity.ACTIVITY_SCHEDULED
_COMPLETED = activity.ACTIVITY_COMPLETED
_FAILED = activity.ACTIVITY_FAILED

SCHEDULED_EVENT = 'ActivityTaskScheduled'
COMPLETED_EVENT = 'ActivityTaskCompleted'
SCHEDULE_FAILED_EVENT = 'ScheduleActivityTaskFailed'
CANCEL_REQUESTED_EVENT = 'WorkflowExecutionCancelRequested'
DECISION_SCHEDULED_EVENT = 'DecisionTaskScheduled'

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

    The events are read once, in order; events that say nothing about the
    activities, the context or the execution's fate are skipped at the cost
    of one dictionary lookup. More events can be read later
    (:meth:`extend`): a decider that saw the beginning of a history reads
    only what came after.

    Attributes:
        states (dict): activity type name -> activity id ->
            :class:`~garcon.activity.ActivityState`.
        context (ExecutionContext): the current context.
        schedule_failures (list): :class:`ScheduleFailure` instances.
        cancel_requested (bool): a cancel of the execution was requested.
        open_activities (int): activity tasks scheduled and not closed.
        decision_task_timeout (float): the start-to-close timeout, in
            seconds, of the last decision task scheduled (None when
            unknown, or none).
        completed_ids (dict): activity type name -> the set of the ids
            whose last state is completed.
        failed_ids (dict): activity type name -> the set of the ids whose
            last state is failed.
        last_event (dict): the last event read (None before any).
        last_event_id (int): its id (0 before any).

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
        self.open_activities = 0
        self.decision_task_timeout = None
        # Kept as the events are read, so that a decision asks "has every
        # instance completed?" of a set, not of each instance's state.
        self.completed_ids = {}
        self.failed_ids = {}
        self.last_event = None
        self.last_event_id = 0
        # Scheduled event id -> the state of the activity it scheduled:
        # close events point back to it.
        self._scheduled = {}
        self.extend(events)

    def extend(self, events):
        """Read more events, in the order of the history."""
        if not isinstance(events, (list, tuple)):
            events = list(events)
        handlers = _HANDLERS
        # Most events of a large history schedule or complete an activity:
        # those two are read here, without a call per event but the
        # context's, and with the names they use at hand.
        scheduled_event, completed_event = SCHEDULED_EVENT, COMPLETED_EVENT
        scheduled_state, completed_state = _SCHEDULED, _COMPLETED
        new_state = activity.ActivityState
        states = self.states
        scheduled = self._scheduled
        completed_ids = self.completed_ids
        add_result = self.context.add_result
        event = None
        for event in events:
            event_type = event['eventType']
            if event_type == scheduled_event:
                attributes = event['activityTaskScheduledEventAttributes']
                name = attributes['activityType']['name']
                activity_id = attributes['activityId']
                instances = states.get(name)
                if instances is None:
                    instances = self._new_activity_type(name)
                state = instances.get(activity_id)
                if state is None:
                    state = instances[activity_id] = new_state(activity_id)
                    state._type_name = name
                    self.open_activities += 1
                elif not state.states or state.states[-1] != scheduled_state:
                    # Counted as count_open_activities counts: by last
                    # state.
                    self.open_activities += 1
                    self._leave_last_state(state)
                state.states.append(scheduled_state)
                scheduled[event['eventId']] = state
            elif event_type == completed_event:
                attributes = event['activityTaskCompletedEventAttributes']
                state = scheduled[attributes['scheduledEventId']]
                last_states = state.states
                if last_states[-1] == scheduled_state:
                    self.open_activities -= 1
                else:
                    self._leave_last_state(state)
                last_states.append(completed_state)
                completed_ids[state._type_name].add(state.activity_id)
                result = attributes.get('result')
                # The state decodes its result when it is read (custom
                # deciders do, the default decider does not); the context
                # needs it now.
                state.set_encoded_result(result)
                add_result(result)
            else:
                handler = handlers.get(event_type)
                if handler is not None:
                    handler(self, event)
        self._read_decision_task_timeout(events)
        if event is not None:
            self.last_event = event
            self.last_event_id = event.get('eventId', self.last_event_id)

    def add(self, event):
        """Read one more event."""
        self.extend((event,))

    def _new_activity_type(self, name):
        """Start the states of an activity type; return its id -> state
        dict."""
        self.completed_ids[name] = set()
        self.failed_ids[name] = set()
        instances = self.states[name] = {}
        return instances

    def _leave_last_state(self, state):
        """Take an activity out of the set of its last state (it closed and
        is scheduled again, or closed once more)."""
        last = state.get_last_state()
        if last == _COMPLETED:
            self.completed_ids[state._type_name].discard(state.activity_id)
        elif last == _FAILED:
            self.failed_ids[state._type_name].discard(state.activity_id)

    def _add_failed(self, event):
        event_type = event['eventType']
        attributes = event[CLOSE_EVENTS[event_type]]
        state = self._fail(attributes['scheduledEventId'])
        state.failure_reason = failure_reason(event_type, attributes)

    def _fail(self, scheduled_event_id):
        """Close the activity task scheduled by an event as failed; return
        its state."""
        state = self._scheduled[scheduled_event_id]
        states = state.states
        if states and states[-1] == _SCHEDULED:
            self.open_activities -= 1
        else:
            self._leave_last_state(state)
        states.append(_FAILED)
        self.failed_ids[state._type_name].add(state.activity_id)
        return state

    def _add_schedule_failure(self, event):
        attributes = event['scheduleActivityTaskFailedEventAttributes']
        self.schedule_failures.append(ScheduleFailure(
            attributes.get('activityId'),
            attributes.get('activityType', {}).get('name'),
            attributes.get('cause')))

    def _add_cancel_request(self, event):
        self.cancel_requested = True

    def _add_started(self, event):
        self.context.add_event(event)

    def _read_decision_task_timeout(self, events):
        """Read the timeout of the last decision task scheduled in events
        (read last first: only the last one counts)."""
        for event in reversed(events):
            if event['eventType'] == DECISION_SCHEDULED_EVENT:
                timeout = event['decisionTaskScheduledEventAttributes'].get(
                    'startToCloseTimeout')
                try:
                    self.decision_task_timeout = float(timeout)
                except (TypeError, ValueError):
                    # 'NONE', or nothing said.
                    self.decision_task_timeout = None
                return


# Event type -> what History does with it, besides the scheduled and
# completed activities it reads itself; other events are skipped.
_HANDLERS = {
    'ActivityTaskFailed': History._add_failed,
    'ActivityTaskTimedOut': History._add_failed,
    'ActivityTaskCanceled': History._add_failed,
    SCHEDULE_FAILED_EVENT: History._add_schedule_failure,
    CANCEL_REQUESTED_EVENT: History._add_cancel_request,
    execution_context.STARTED_EVENT: History._add_started,
}


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
