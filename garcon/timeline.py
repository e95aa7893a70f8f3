"""Read an execution's history as a timeline of activity instances.

The history is the source of truth of an execution. :class:`Timeline` reads
its events, in order, into what a person watching the execution wants to
know: each activity instance, each attempt at it (scheduled, started,
completed, failed, timed out, canceled) with its times, and how the
execution closed. Fed new events as they arrive, it returns the
:class:`Change` each one makes, which is what the live progress of
``garcon run`` shows; :meth:`Timeline.summary` gives one
:class:`ActivitySummary` per activity for the tables of ``garcon run`` and
``garcon status``.

Nothing here talks to SWF: events in, plain objects out.
"""

import collections
import re

SCHEDULED = 'scheduled'
STARTED = 'started'
COMPLETED = 'completed'
FAILED = 'failed'
TIMED_OUT = 'timed out'
CANCELED = 'canceled'
SCHEDULE_FAILED = 'schedule failed'
RETRIED = 'retried'
RUNNING = 'running'

#: States of an attempt that is still open.
OPEN_STATES = (SCHEDULED, STARTED)

# The event that closes an activity task -> (its attributes key, state).
_CLOSE_EVENTS = {
    'ActivityTaskCompleted': ('activityTaskCompletedEventAttributes',
                              COMPLETED),
    'ActivityTaskFailed': ('activityTaskFailedEventAttributes', FAILED),
    'ActivityTaskTimedOut': ('activityTaskTimedOutEventAttributes',
                             TIMED_OUT),
    'ActivityTaskCanceled': ('activityTaskCanceledEventAttributes',
                             CANCELED),
}

# The event that closes an execution -> (its attributes key, close status).
CLOSE_STATUSES = {
    'WorkflowExecutionCompleted': (
        'workflowExecutionCompletedEventAttributes', 'COMPLETED'),
    'WorkflowExecutionFailed': (
        'workflowExecutionFailedEventAttributes', 'FAILED'),
    'WorkflowExecutionTimedOut': (
        'workflowExecutionTimedOutEventAttributes', 'TIMED_OUT'),
    'WorkflowExecutionCanceled': (
        'workflowExecutionCanceledEventAttributes', 'CANCELED'),
    'WorkflowExecutionTerminated': (
        'workflowExecutionTerminatedEventAttributes', 'TERMINATED'),
    'WorkflowExecutionContinuedAsNew': (
        'workflowExecutionContinuedAsNewEventAttributes', 'CONTINUED_AS_NEW'),
}

_GENERATED_KEY = re.compile(r'^[0-9a-f]{40}$')


class Attempt(object):
    """One scheduling of an activity instance.

    Attributes:
        number (int): 1 for the first attempt, 2 for the first retry...
        scheduled_at (float): when it was scheduled (epoch seconds).
        started_at (float): when a worker took it (None until then).
        closed_at (float): when it closed (None while open).
        state (str): ``scheduled``, ``started``, ``completed``, ``failed``,
            ``timed out``, ``canceled`` or ``schedule failed``.
        detail (str): the failure reason, timeout type or SWF cause.
        identity (str): the worker that took it, if it told.
    """

    def __init__(self, number, scheduled_at, state=SCHEDULED):
        self.number = number
        self.scheduled_at = scheduled_at
        self.started_at = None
        self.closed_at = None
        self.state = state
        self.detail = None
        self.identity = None

    @property
    def is_open(self):
        """bool: the attempt is scheduled or running."""
        return self.state in OPEN_STATES

    @property
    def duration(self):
        """float: seconds from its start (or scheduling) to its close;
        None while open."""
        if self.closed_at is None:
            return None
        return self.closed_at - (self.started_at or self.scheduled_at)


class Instance(object):
    """An activity instance: one activity id of the execution.

    Attributes:
        activity (str): the activity's short name (without the flow name).
        activity_id (str): the SWF activity id.
        label (str): the name to show: the activity, plus a short form of
            the generator key and the custom decider's schedule id.
        attempts (list): its :class:`Attempt` objects, in order.
    """

    def __init__(self, activity, activity_id, full_name):
        self.activity = activity
        self.activity_id = activity_id
        self.label = activity + instance_suffix(full_name, activity_id)
        self.attempts = []

    @property
    def state(self):
        """str: the state of its last attempt."""
        return self.attempts[-1].state if self.attempts else SCHEDULED

    @property
    def is_open(self):
        """bool: its last attempt is open."""
        return bool(self.attempts) and self.attempts[-1].is_open


class Change(object):
    """What one event did to an activity instance.

    Attributes:
        timestamp (float): the event's time (epoch seconds).
        instance (Instance): the instance.
        state (str): its new state (``retried`` for a new attempt).
        detail (str): the reason, timeout type or cause, if any.
        attempt (Attempt): the attempt the event belongs to.
    """

    def __init__(self, timestamp, instance, state, attempt, detail=None):
        self.timestamp = timestamp
        self.instance = instance
        self.state = state
        self.attempt = attempt
        self.detail = detail

    def __repr__(self):
        return 'Change({!r}, {!r})'.format(self.instance.label, self.state)


#: One row of a summary table.
ActivitySummary = collections.namedtuple(
    'ActivitySummary',
    ['activity', 'state', 'instances', 'completed', 'attempts', 'duration'])


def instance_suffix(full_name, activity_id):
    """Return the part of an instance's label that tells it from its
    siblings.

    Ids are ``'{name}-1'`` (one instance), ``'{name}-{sha1}'`` (one per
    generator output) and either followed by ``'-{schedule id}'`` in a
    custom decider. The suffix is empty, ``[abcdef1]`` (the start of the
    key) and/or `` (schedule id)``.
    """
    prefix = full_name + '-'
    if not activity_id.startswith(prefix):
        return ' ' + activity_id
    key, _, schedule_id = activity_id[len(prefix):].partition('-')
    suffix = '[{}]'.format(key[:7]) if _GENERATED_KEY.match(key) else ''
    if schedule_id:
        suffix += ' ({})'.format(schedule_id)
    return suffix


class Timeline(object):
    """An execution's activity instances and close, read from its events.

    Args:
        events (list): the events read so far, in history order.

    Attributes:
        flow_name (str): the workflow type's name (the flow's name).
        started_at (float): when the execution started.
        closed_at (float): when it closed (None while open).
        close_status (str): ``COMPLETED``, ``FAILED``... (None while open).
        close_reason (str): why it did not complete, if SWF tells.
        last_event_at (float): the time of the latest event read.
        instances (OrderedDict): activity id -> :class:`Instance`, in the
            order they were first scheduled.
    """

    def __init__(self, events=()):
        self.flow_name = None
        self.started_at = None
        self.closed_at = None
        self.close_status = None
        self.close_reason = None
        self.last_event_at = None
        self.instances = collections.OrderedDict()
        self._last_event_id = 0
        self._by_event_id = {}
        self.update(events)

    @property
    def closed(self):
        """bool: the execution has closed."""
        return self.close_status is not None

    def update(self, events):
        """Read the events not read yet.

        Args:
            events (list): the history (all of it, or just new events).

        Returns:
            list: the :class:`Change` objects of the new events.
        """
        changes = []
        for event in events:
            if event['eventId'] <= self._last_event_id:
                continue
            self._last_event_id = event['eventId']
            change = self.add(event)
            if change is not None:
                changes.append(change)
        return changes

    def add(self, event):
        """Read one event.

        Returns:
            Change: what it did to an activity instance (None when it
            concerns none).
        """
        self.last_event_at = event.get('eventTimestamp', self.last_event_at)
        event_type = event['eventType']
        if event_type == 'WorkflowExecutionStarted':
            self._add_started(event)
        elif event_type in CLOSE_STATUSES:
            self._add_execution_close(event)
        elif event_type == 'ActivityTaskScheduled':
            return self._add_scheduled(event)
        elif event_type == 'ActivityTaskStarted':
            return self._add_activity_started(event)
        elif event_type in _CLOSE_EVENTS:
            return self._add_activity_close(event)
        elif event_type == 'ScheduleActivityTaskFailed':
            return self._add_schedule_failure(event)
        return None

    def _add_started(self, event):
        attributes = event['workflowExecutionStartedEventAttributes']
        self.flow_name = attributes.get('workflowType', {}).get('name')
        self.started_at = event.get('eventTimestamp')

    def _add_execution_close(self, event):
        key, status = CLOSE_STATUSES[event['eventType']]
        self.close_status = status
        self.closed_at = event.get('eventTimestamp')
        self.close_reason = close_reason(status, event.get(key, {}))

    def _instance(self, full_name, activity_id):
        instance = self.instances.get(activity_id)
        if instance is None:
            instance = Instance(
                self.short_name(full_name), activity_id, full_name)
            self.instances[activity_id] = instance
        return instance

    def _add_scheduled(self, event):
        attributes = event['activityTaskScheduledEventAttributes']
        instance = self._instance(
            attributes['activityType']['name'], attributes['activityId'])
        retry = bool(instance.attempts)
        attempt = Attempt(len(instance.attempts) + 1, event['eventTimestamp'])
        instance.attempts.append(attempt)
        self._by_event_id[event['eventId']] = (instance, attempt)
        state = RETRIED if retry else SCHEDULED
        return Change(event['eventTimestamp'], instance, state, attempt)

    def _add_activity_started(self, event):
        attributes = event['activityTaskStartedEventAttributes']
        found = self._by_event_id.get(attributes.get('scheduledEventId'))
        if found is None:
            return None
        instance, attempt = found
        attempt.state = STARTED
        attempt.started_at = event['eventTimestamp']
        attempt.identity = attributes.get('identity')
        return Change(event['eventTimestamp'], instance, STARTED, attempt)

    def _add_activity_close(self, event):
        key, state = _CLOSE_EVENTS[event['eventType']]
        attributes = event.get(key, {})
        found = self._by_event_id.get(attributes.get('scheduledEventId'))
        if found is None:
            return None
        instance, attempt = found
        attempt.state = state
        attempt.closed_at = event['eventTimestamp']
        attempt.detail = activity_failure(state, attributes)
        return Change(event['eventTimestamp'], instance, state, attempt,
                      attempt.detail)

    def _add_schedule_failure(self, event):
        attributes = event['scheduleActivityTaskFailedEventAttributes']
        instance = self._instance(
            attributes.get('activityType', {}).get('name', '?'),
            attributes.get('activityId', '?'))
        attempt = Attempt(len(instance.attempts) + 1, event['eventTimestamp'],
                          state=SCHEDULE_FAILED)
        attempt.closed_at = event['eventTimestamp']
        attempt.detail = attributes.get('cause')
        instance.attempts.append(attempt)
        return Change(event['eventTimestamp'], instance, SCHEDULE_FAILED,
                      attempt, attempt.detail)

    def short_name(self, full_name):
        """Return an activity's name without the flow's name in front."""
        prefix = '{}_'.format(self.flow_name)
        if self.flow_name and full_name.startswith(prefix):
            return full_name[len(prefix):]
        return full_name

    def activities(self):
        """Return the activities' short names, in order of first
        scheduling."""
        names = []
        for instance in self.instances.values():
            if instance.activity not in names:
                names.append(instance.activity)
        return names

    def instances_of(self, activity):
        """Return the instances of an activity (by short name)."""
        return [instance for instance in self.instances.values()
                if instance.activity == activity]

    def progress(self, activity):
        """Return ``(completed, scheduled)`` instance counts of an
        activity."""
        instances = self.instances_of(activity)
        done = sum(1 for instance in instances if instance.state == COMPLETED)
        return done, len(instances)

    def summary(self):
        """Summarize each activity, in order of first scheduling.

        Returns:
            list: one :class:`ActivitySummary` per activity.
        """
        return [self._summarize(name) for name in self.activities()]

    def _summarize(self, activity):
        instances = self.instances_of(activity)
        attempts = [attempt for instance in instances
                    for attempt in instance.attempts]
        done, total = self.progress(activity)
        return ActivitySummary(
            activity=activity,
            state=aggregate_state(instances),
            instances=total,
            completed=done,
            attempts=len(attempts),
            duration=self._span(attempts))

    def _span(self, attempts):
        begin = min(attempt.scheduled_at for attempt in attempts)
        if any(attempt.is_open for attempt in attempts):
            end = self.closed_at or self.last_event_at
        else:
            end = max(attempt.closed_at for attempt in attempts)
        return max(0.0, (end or begin) - begin)

    @property
    def duration(self):
        """float: seconds from the start of the execution to its close, or
        to its latest event while open."""
        if self.started_at is None:
            return None
        return (self.closed_at or self.last_event_at) - self.started_at


def aggregate_state(instances):
    """Return the state of an activity from its instances' states.

    ``running`` while any instance is open (``scheduled`` if none has
    started), ``completed`` when all have completed, else the state of the
    first instance that did not complete (``failed``, ``timed out``...).
    """
    states = [instance.state for instance in instances]
    if STARTED in states:
        return RUNNING
    if SCHEDULED in states:
        return SCHEDULED
    for state in states:
        if state != COMPLETED:
            return state
    return COMPLETED


def activity_failure(state, attributes):
    """Describe why an activity task closed without a result (None when it
    completed)."""
    if state == FAILED:
        return attributes.get('reason') or None
    if state == TIMED_OUT:
        return attributes.get('timeoutType')
    return None


def close_reason(status, attributes):
    """Describe why an execution closed as it did (None for COMPLETED)."""
    if status == 'FAILED':
        return attributes.get('reason') or attributes.get('details')
    if status == 'TIMED_OUT':
        return 'timeout type {}'.format(
            attributes.get('timeoutType', 'START_TO_CLOSE'))
    if status == 'CANCELED':
        return attributes.get('details') or 'canceled'
    if status == 'TERMINATED':
        return attributes.get('reason') or attributes.get('cause')
    return None
