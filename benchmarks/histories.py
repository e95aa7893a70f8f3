"""Synthetic execution histories, in SWF's event format.

A history is built by simulating the execution of a flow of
:mod:`benchmarks.flows` the way SWF and a decider would write it: the
decider schedules what is available (at most 1,000 activity tasks open at
once, SWF's limit), workers start and complete tasks, a decision task
follows each batch of completions. The activity ids are the real ones
(``'{flow}_{activity}-{sha1 key}'``, see
:func:`garcon.utils.create_dictionary_key`), so any Garcon decider reading
the history recognizes its activities.

The history stops after a given stage has completed, when the decision that
follows has started (see :data:`STOP_AFTER`).
"""

import collections
import json

from garcon import utils

#: Activity completions between two decision tasks.
COMPLETIONS_PER_DECISION = 10

#: SWF's limit on the activity tasks open at once in an execution.
MAX_OPEN_ACTIVITIES = 1000

#: The execution every synthetic history belongs to.
WORKFLOW_ID = 'benchmark-execution'
RUN_ID = '22benchmarkrunid000000000000000000000000000='
DOMAIN = 'garcon-bench'

START_TIMESTAMP = 1700000000.0

#: Stages of each flow: (activity name, whether it has the generator).
FLOW_STAGES = {
    'fanout': [('first', False), ('fan_out', True), ('last', False)],
    'chained': [('first', False), ('fan_out_a', True), ('fan_out_b', True),
                ('last', False)],
}

#: The stage after whose completion each history stops: the decision under
#: test follows it. fanout: every fan-out instance has completed; the
#: decision checks them all and schedules ``last``. chained: every
#: ``fan_out_a`` instance has completed; the decision checks them and may
#: now schedule the N ``fan_out_b`` instances that require them.
STOP_AFTER = {'fanout': 'fan_out', 'chained': 'fan_out_a'}

TASK_TIMEOUT = 60
SCHEDULE_TO_START = 600


def instance_ids(full_name, fan_out, n):
    """Return the activity ids of an activity's instances, in order."""
    if not fan_out:
        return ['{}-1'.format(full_name)]
    return ['{}-{}'.format(
        full_name, utils.create_dictionary_key({'generator.index': index}))
        for index in range(n)]


class Execution(object):
    """Write the events of one execution, numbered from 1.

    Args:
        flow_name (str): the name of the flow (and workflow type).
        n (int): the fan-out size, given as the workflow input.
    """

    def __init__(self, flow_name, n):
        self.flow_name = flow_name
        self.n = n
        self.events = []
        self.started_event_ids = []

    def add(self, event_type, **attributes):
        event_id = len(self.events) + 1
        key = event_type[0].lower() + event_type[1:] + 'EventAttributes'
        self.events.append({
            'eventId': event_id, 'eventType': event_type,
            'eventTimestamp': START_TIMESTAMP + event_id / 100.0,
            key: attributes})
        return event_id

    def start(self):
        self.add('WorkflowExecutionStarted',
                 workflowType={'name': self.flow_name, 'version': '1.0'},
                 taskList={'name': self.flow_name}, childPolicy='TERMINATE',
                 executionStartToCloseTimeout='86400',
                 taskStartToCloseTimeout='300',
                 input=json.dumps({'n': self.n}))
        return self.schedule_decision()

    def schedule_decision(self):
        return self.add('DecisionTaskScheduled',
                        taskList={'name': self.flow_name},
                        startToCloseTimeout='300')

    def start_decision(self, scheduled_id):
        started_id = self.add('DecisionTaskStarted',
                              scheduledEventId=scheduled_id,
                              identity='benchmark-decider')
        self.started_event_ids.append(started_id)
        return started_id

    def complete_decision(self, scheduled_id, started_id):
        return self.add('DecisionTaskCompleted',
                        scheduledEventId=scheduled_id,
                        startedEventId=started_id)

    def schedule_activity(self, full_name, activity_id, fan_out, pool_size,
                          decision_id, index=None):
        activity_input = {
            'execution.domain': DOMAIN, 'execution.run_id': RUN_ID,
            'execution.workflow_id': WORKFLOW_ID}
        if fan_out:
            activity_input['generator.index'] = index
        schedule_to_start = pool_size * SCHEDULE_TO_START
        return self.add(
            'ActivityTaskScheduled',
            activityId=activity_id,
            activityType={'name': full_name, 'version': '1.0'},
            taskList={'name': full_name},
            decisionTaskCompletedEventId=decision_id,
            heartbeatTimeout=str(TASK_TIMEOUT),
            scheduleToCloseTimeout=str(schedule_to_start + TASK_TIMEOUT),
            scheduleToStartTimeout=str(schedule_to_start),
            startToCloseTimeout=str(TASK_TIMEOUT),
            input=json.dumps(activity_input))

    def run_activity(self, scheduled_id, result):
        started_id = self.add('ActivityTaskStarted',
                              scheduledEventId=scheduled_id,
                              identity='benchmark-worker')
        self.add('ActivityTaskCompleted', scheduledEventId=scheduled_id,
                 startedEventId=started_id, result=json.dumps(result))


def simulate(flow_name, n):
    """Write the history of a flow with ``n`` instances per fan-out, up to
    the decision that follows the completion of its stage
    :data:`STOP_AFTER`.

    Returns:
        Execution: the execution (its ``events``).
    """
    execution = Execution(flow_name, n)
    decision = execution.start()
    for name, fan_out in FLOW_STAGES[flow_name]:
        decision = run_stage(execution, decision, name, fan_out, n)
        if name == STOP_AFTER[flow_name]:
            break
    execution.start_decision(decision)
    return execution


def run_stage(execution, decision, name, fan_out, n):
    """Write the events of one activity's instances, from the decision
    that schedules the first ones to the completion of the last one.

    Returns:
        int: the id of the DecisionTaskScheduled event that follows.
    """
    full_name = '{}_{}'.format(execution.flow_name, name)
    pending = collections.deque(
        enumerate(instance_ids(full_name, fan_out, n)))
    pool_size = len(pending)
    open_tasks = collections.deque()
    while pending or open_tasks:
        started = execution.start_decision(decision)
        completed = execution.complete_decision(decision, started)
        while pending and len(open_tasks) < MAX_OPEN_ACTIVITIES:
            index, activity_id = pending.popleft()
            open_tasks.append((index, execution.schedule_activity(
                full_name, activity_id, fan_out, pool_size, completed,
                index)))
        for _ in range(min(COMPLETIONS_PER_DECISION, len(open_tasks))):
            index, scheduled_id = open_tasks.popleft()
            result = {'last_index': index} if fan_out else {'started': True}
            execution.run_activity(scheduled_id, result)
        decision = execution.schedule_decision()
    return decision


def fit(flow_name, target_events):
    """Return the execution of the largest fan-out whose history has at
    most ``target_events`` events."""
    def size(n):
        return len(simulate(flow_name, n).events)

    # The events grow about linearly with n: search near a guess.
    guess = 100 * target_events // size(100)
    low, high = max(1, guess * 9 // 10), guess * 11 // 10 + 2
    if size(low) > target_events:
        low = 1
    while size(high) <= target_events:
        high *= 2
    while high - low > 1:
        middle = (low + high) // 2
        if size(middle) <= target_events:
            low = middle
        else:
            high = middle
    return simulate(flow_name, low)


def decision_task(execution):
    """Return the decision task (the poll's answer) for an execution's
    history: its last event is the decision's DecisionTaskStarted."""
    started = execution.started_event_ids
    return {
        'taskToken': 'benchmark-task-token',
        'startedEventId': started[-1],
        'previousStartedEventId': started[-2] if len(started) > 1 else 0,
        'workflowExecution': {'workflowId': WORKFLOW_ID, 'runId': RUN_ID},
        'workflowType': {'name': execution.flow_name, 'version': '1.0'},
        'events': execution.events,
    }
