"""Decider Worker.

The decider worker orchestrates which activity needs to be executed and
when, based on the flow provided. Each decision reads the execution's
history (:mod:`garcon.event`) into activity states and a context, and turns
them into decisions:

* by default, from the flow itself: every activity instance whose
  requirements have completed is scheduled, and the workflow completes when
  every instance has completed;
* when the flow has a ``decider(schedule, context=None)`` function, that
  function drives the flow (see :func:`schedule`).

Any error while deciding fails the workflow, with the error as reason.
"""

import functools
import inspect
import json
import logging
import traceback

import boto.swf.exceptions
from boto.swf import layer1_decisions
from boto.swf import layer2

from garcon import activity
from garcon import connection
from garcon import event
from garcon import flow as garcon_flow
from garcon import log

logger = logging.getLogger(log.LOGGER_PREFIX)

#: Retention, in days, of the executions of a domain Garcon registers.
DOMAIN_RETENTION_DAYS = '30'

WORKFLOW_TYPE_DEFAULTS = {
    'default_child_policy': 'TERMINATE',
    'default_execution_start_to_close_timeout': '3600',
    'default_task_start_to_close_timeout': '300',
}

ACTIVITY_TYPE_DEFAULTS = {
    'default_task_heartbeat_timeout': '600',
    'default_task_schedule_to_close_timeout': '3900',
    'default_task_schedule_to_start_timeout': '300',
    'default_task_start_to_close_timeout': '3600',
}


class ScheduleContext(object):
    """The progress of the scheduling in one decision.

    It tells whether there is more to do, or whether the execution can be
    closed.
    """

    def __init__(self):
        self.completed = True

    def mark_uncompleted(self):
        """Mark the scheduling as uncompleted.

        Scheduling is completed when every activity has been scheduled and
        has completed; anything still to run or running marks it
        uncompleted.
        """
        self.completed = False


def ensure_requirements(requires):
    """Ensure scheduling meets requirements.

    Args:
        requires (list): the states of the requirements.

    Raises:
        ActivityInstanceNotReadyException: one of the requirements is not
            ready.
    """
    for state in requires or ():
        state.wait()


def schedule_activity_task(decisions, instance, version='1.0', id=None):
    """Schedule an activity task.

    Args:
        decisions (Layer1Decisions): the layer decision for swf.
        instance (ActivityInstance): the activity instance to schedule.
        version (str): the version of the activity instance.
        id (str): optional id of the activity instance.
    """
    decisions.schedule_activity_task(
        id or instance.id,
        instance.activity_name,
        version,
        task_list=instance.activity_worker.task_list,
        heartbeat_timeout=str(instance.heartbeat_timeout),
        schedule_to_close_timeout=str(instance.schedule_to_close),
        schedule_to_start_timeout=str(instance.schedule_to_start),
        start_to_close_timeout=str(instance.timeout),
        input=json.dumps(instance.create_execution_input()))


def schedule(
        decisions, schedule_context, history, context, schedule_id,
        current_activity, requires=None, input=None, version='1.0'):
    """Schedule an activity, from a custom decider.

    The requirements must all have completed. The activity's instances are
    scheduled with the id ``'{instance id}-{schedule_id}'`` unless they
    already have been (a failed one is scheduled again while it has retries
    left); ``input`` is merged into their context.

    In a custom decider, the first four arguments and the version are bound:
    call ``schedule(schedule_id, activity, requires=None, input=None)``.

    Args:
        decisions (Layer1Decisions): the layer decision for swf.
        schedule_context (ScheduleContext): the scheduling progress.
        history (dict): the activity states of the execution.
        context (dict): context of the execution.
        schedule_id (str): the id of this use of the activity.
        current_activity (Activity): the activity to run.
        requires (list): states of the activities to complete first.
        input (dict): additional input for the context.
        version (str): the version of the activity type.

    Raises:
        ActivityInstanceNotReadyException: one of the requirements is not
            ready.
        ActivityRetryExceeded: an instance failed beyond its retries.

    Returns:
        ActivityState: the state of the scheduled activity; once every
        instance has completed, its result is the merge of theirs.
    """
    ensure_requirements(requires)

    activity_context = dict(context)
    activity_context.update(input or {})
    states = history.get(current_activity.name, {})

    result = {}
    completed = True
    for instance in current_activity.instances(activity_context):
        activity_id = '{}-{}'.format(instance.id, schedule_id)
        state = states.get(activity_id)
        if state is not None and state.ready:
            result.update(state.result)
            continue
        completed = False
        if activity.is_available(instance, state, activity_id):
            schedule_activity_task(
                decisions, instance, version=version, id=activity_id)

    state = activity.ActivityState(schedule_id)
    if completed:
        state.add_state(activity.ACTIVITY_COMPLETED)
        state.set_result(result)
    else:
        schedule_context.mark_uncompleted()
        state.add_state(activity.ACTIVITY_SCHEDULED)
    return state


class DeciderWorker(layer2.Decider, log.GarconLogger,
                    connection.LazyConnection):
    """The decider of a flow.

    Args:
        flow (module): the flow (a module, or any object with ``domain``,
            ``name`` and activities as attributes).
        register (bool): register the domain, the workflow type and the
            activity types on SWF now.
    """

    def __init__(self, flow, register=True):
        garcon_flow.validate(flow)
        self.flow = flow
        self.domain = flow.domain
        self.name = flow.name
        self.task_list = flow.name
        self.version = getattr(flow, 'version', '1.0')
        self.activities = activity.find_workflow_activities(flow)
        self.on_exception = getattr(flow, 'on_exception', None)
        if register:
            self.register()

    def register(self):
        """Register the workflow on SWF.

        SWF needs the domain, the workflow type and the activity types
        registered before anything runs; those already registered are left
        as they are.
        """
        self._register(
            'domain', self.domain, self._swf.register_domain,
            self.domain, DOMAIN_RETENTION_DAYS)
        self._register(
            'workflow type', self.name, self._swf.register_workflow_type,
            self.domain, self.name, self.version, task_list=self.task_list,
            **WORKFLOW_TYPE_DEFAULTS)
        for current in self.activities:
            self._register(
                'activity type', current.name,
                self._swf.register_activity_type,
                self.domain, current.name, self.version,
                task_list=current.task_list, **ACTIVITY_TYPE_DEFAULTS)

    def _register(self, kind, name, register, *args, **kwargs):
        try:
            register(*args, **kwargs)
        except (boto.swf.exceptions.SWFDomainAlreadyExistsError,
                boto.swf.exceptions.SWFTypeAlreadyExistsError):
            logger.debug('The %s %s is already registered.', kind, name)
        else:
            logger.info('Registered the %s %s.', kind, name)

    def get_history(self, poll):
        """Get all the history.

        SWF pages the history of a decision task: this reads every page.

        Args:
            poll (dict): the decision task.

        Returns:
            list: all the events.
        """
        events = list(poll.get('events', ()))
        next_page_token = poll.get('nextPageToken')
        while next_page_token:
            page = self.poll(next_page_token=next_page_token)
            events.extend(page.get('events', ()))
            next_page_token = page.get('nextPageToken')
        return events

    def get_activity_states(self, history):
        """Get the activity states from the history.

        Args:
            history (list): the full history.

        Returns:
            dict: activity type name -> activity id -> ActivityState, for the
            activities that have been scheduled.
        """
        return event.activity_states_from_events(history)

    def create_decisions_from_flow(self, decisions, activity_states, context):
        """Create the decisions from the flow.

        Simple flows need no custom decider: every activity instance that
        is available (see :func:`garcon.activity.find_available_activities`)
        is scheduled; when no instance is left uncompleted, the workflow
        completes.

        Args:
            decisions (Layer1Decisions): the layer decision for swf.
            activity_states (dict): all the activity states.
            context (dict): the context of the activities.
        """
        available = list(activity.find_available_activities(
            self.flow, activity_states, context))
        for instance in available:
            schedule_activity_task(decisions, instance, version=self.version)

        if not available and not any(activity.find_uncomplete_activities(
                self.flow, activity_states, context)):
            decisions.complete_workflow_execution()

    def delegate_decisions(self, decisions, decider, history, context):
        """Delegate the decisions to the flow's own decider.

        The decider receives ``schedule``, which schedules an activity if
        it is not scheduled yet and returns its state (see :func:`schedule`),
        and ``context`` (the workflow input) if it declares it. Reading the
        result of an activity that has not completed ends the decision; when
        the decider returns with everything it scheduled completed, the
        workflow completes.

        Args:
            decisions (Layer1Decisions): the layer decision for swf.
            decider (callable): the decider.
            history (dict): all the activity states.
            context (dict): the context of the activities.
        """
        schedule_context = ScheduleContext()
        bound_schedule = functools.partial(
            schedule, decisions, schedule_context, history, context,
            version=self.version)

        kwargs = {}
        if _declares(decider, 'context'):
            kwargs['context'] = getattr(context, 'workflow_input', context)

        try:
            decider(bound_schedule, **kwargs)
        except activity.ActivityInstanceNotReadyException:
            schedule_context.mark_uncompleted()

        if schedule_context.completed:
            decisions.complete_workflow_execution()

    def run(self, identity=None):
        """Run the decider.

        Polls SWF for a decision task and decides: it schedules the
        activities that have not been scheduled yet and whose requirements
        have completed, or completes the workflow when nothing is left.

        Args:
            identity (str): identity of the decider, recorded in the
                DecisionTaskStarted event.

        Returns:
            bool: always True, so any loop on run can act as a long running
            process.
        """
        try:
            poll = self.poll(identity=identity)
        except Exception as error:
            self.report_exception(error)
            return True

        if poll.get('taskToken'):
            decisions = self.decide(poll)
            try:
                self.complete(
                    task_token=poll['taskToken'], decisions=decisions)
            except Exception as error:
                self.report_exception(error)
        return True

    def decide(self, poll):
        """Make the decisions of one decision task.

        Args:
            poll (dict): the decision task.

        Returns:
            Layer1Decisions: the decisions; a failure of the workflow if
            anything went wrong while deciding.
        """
        events = self.get_history(poll)
        decisions = layer1_decisions.Layer1Decisions()
        try:
            history = event.History(events)
            context = history.context
            context.set_workflow_execution_info(
                poll.get('workflowExecution', {}), self.domain)
            self.set_log_context(context)

            if history.schedule_failures:
                raise ScheduleFailed(str(history.schedule_failures[0]))

            decider = custom_decider(self.flow)
            if decider:
                self.delegate_decisions(
                    decisions, decider, history.states, context)
            else:
                self.create_decisions_from_flow(
                    decisions, history.states, context)
        except Exception as error:
            decisions = layer1_decisions.Layer1Decisions()
            fail_workflow(decisions, error)
            self.report_exception(error)
        finally:
            self.unset_log_context()
        return decisions

    def report_exception(self, error):
        """Give an error to the flow's ``on_exception`` and log it."""
        self.logger.error(
            'Decider of %s: %s', self.name, activity.describe_error(error))
        if self.on_exception:
            try:
                self.on_exception(self, error)
            except Exception:
                self.logger.exception(
                    'The on_exception handler of flow %s failed.', self.name)


def custom_decider(flow):
    """Return the flow's own decider function, if it has one.

    A flow module that imports ``garcon.decider`` has a ``decider``
    attribute too: only a function (or a method) counts.
    """
    decider = getattr(flow, 'decider', None)
    if inspect.isfunction(decider) or inspect.ismethod(decider):
        return decider
    return None


class ScheduleFailed(Exception):
    """SWF refused to schedule an activity (ScheduleActivityTaskFailed)."""


def fail_workflow(decisions, error):
    """Add the decision that fails the workflow because of ``error``.

    The reason is the error's message (cut to SWF's 256 characters), the
    details the traceback.
    """
    reason = str(error) or type(error).__name__
    details = ''.join(traceback.format_exception(
        type(error), error, error.__traceback__))
    decisions.fail_workflow_execution(
        reason=reason[:activity.MAX_REASON_LENGTH],
        details=details[-activity.MAX_DETAILS_LENGTH:])


def _declares(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
