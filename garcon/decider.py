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

import collections
import functools
import inspect
import logging
import traceback

import boto.swf.exceptions
from boto.swf import layer1_decisions
from boto.swf import layer2

from garcon import activity
from garcon import batching
from garcon import connection
from garcon import context as garcon_context
from garcon import event
from garcon import flow as garcon_flow
from garcon import instances as flow_instances
from garcon import log
from garcon import runner
from garcon import utils

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


#: SWF's limit on the activity tasks open at once in an execution.
MAX_OPEN_ACTIVITIES = 1000

#: Bytes one decision may send. SWF refuses requests over 1 MB; the rest is
#: room for the task token and the request's own wrapping.
MAX_DECISION_BYTES = 1000000

#: SWF's limit on the input of an activity task, in characters.
MAX_INPUT_LENGTH = 32768

#: Prefix of the timers that bring the next decision at once, when one
#: decision could not schedule every available activity.
CONTINUE_TIMER_PREFIX = 'garcon-continue-'

#: Executions whose history a decider keeps between two decisions (see
#: :attr:`DeciderWorker.history_cache_size`).
HISTORY_CACHE_SIZE = 16

#: Events in a page of history: SWF's largest (and default) page.
MAX_PAGE_SIZE = 1000

#: Fewest events asked in a page when the decider expects to hold the
#: execution's history (see :meth:`DeciderWorker.next_page_size`).
MIN_PAGE_SIZE = 100

# Decisions after which an execution has no next decision.
CLOSING_DECISIONS = frozenset([
    'CompleteWorkflowExecution', 'FailWorkflowExecution',
    'CancelWorkflowExecution', 'ContinueAsNewWorkflowExecution'])


class ActivityInputTooLarge(ValueError):
    """An activity's input is over SWF's 32,768 characters."""


class DecisionBudget(object):
    """What one decision may still schedule within SWF's limits.

    At most :data:`MAX_OPEN_ACTIVITIES` activity tasks may be open at once
    in an execution, and a decision may not be over 1 MB: a decision
    schedules what fits, the next decisions the rest.

    Args:
        open_activities (int): activity tasks open before this decision.
        max_open (int): the limit on open activity tasks.
        max_bytes (int): the limit on the size of the decisions.
    """

    def __init__(self, open_activities=0, max_open=MAX_OPEN_ACTIVITIES,
                 max_bytes=MAX_DECISION_BYTES):
        self.slots = max_open - open_activities
        self.bytes = max_bytes
        self.full = False
        self.out_of_bytes = False

    def spend(self, decision):
        """Account for one more scheduling decision.

        Args:
            decision (dict): the decision.

        Returns:
            bool: whether it fits; if not, the budget is full.
        """
        if self.slots <= 0:
            self.full = True
            return False
        size = len(garcon_context.encode_json(decision)) + 1
        if size > self.bytes:
            self.full = self.out_of_bytes = True
            return False
        self.slots -= 1
        self.bytes -= size
        return True


def count_open_activities(activity_states):
    """Count the activity tasks scheduled and not closed yet."""
    return sum(
        1 for instances in activity_states.values()
        for state in instances.values()
        if state.get_last_state() == activity.ACTIVITY_SCHEDULED)


class ScheduleContext(object):
    """The progress of the scheduling in one decision.

    It tells whether there is more to do, or whether the execution can be
    closed, and what the decision may still schedule.

    Args:
        budget (DecisionBudget): the decision's budget (unlimited when
            None).
    """

    def __init__(self, budget=None):
        self.completed = True
        self.budget = budget

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

    Raises:
        ActivityInputTooLarge: the input is over SWF's 32,768 characters
            (SWF would refuse the whole decision).
    """
    ActivityPlan(instance).schedule(decisions, instance, version, id)


class ActivityPlan(object):
    """What the instances of an activity are scheduled with: task list,
    timeouts, and the context keys of their input.

    They are the instance's own, and the same for every instance of the
    activity in a decision when its runner is context-free (see
    :func:`garcon.runner.context_free`): a decision that schedules a
    fan-out computes them once, with :meth:`fits` telling which instances
    the plan is good for.

    Args:
        instance (ActivityInstance): the instance the plan is made from.
    """

    def __init__(self, instance):
        current = instance.activity_worker
        self.activity = current
        self.pool_size = instance.pool_size
        self.task_list = current.task_list
        timeout = instance.timeout
        schedule_to_start = instance.schedule_to_start
        self.heartbeat_timeout = str(instance.heartbeat_timeout)
        self.start_to_close_timeout = str(timeout)
        self.schedule_to_start_timeout = str(schedule_to_start)
        self.schedule_to_close_timeout = str(instance.schedule_to_close)
        self.shared = (
            type(instance) is activity.ActivityInstance
            and type(current).get_runner is activity.Activity.get_runner
            and runner.context_free(current.get_runner()))
        self.input_keys = None
        if self.shared:
            try:
                keys = instance.runner.requirements(instance.global_context)
            except runner.NoRunnerRequirementsFound:
                pass
            else:
                self.input_keys = tuple(
                    keys.union(garcon_context.EXECUTION_KEYS))

    def fits(self, instance):
        """Tell whether the plan is good for an instance."""
        return (self.shared and instance.activity_worker is self.activity
                and type(instance) is activity.ActivityInstance
                and instance.pool_size == self.pool_size)

    def input(self, instance):
        """Return the input of an instance (see
        :meth:`~garcon.activity.ActivityInstance.create_execution_input`).
        """
        if self.input_keys is None:
            return instance.create_execution_input()
        return instance._input_of(self.input_keys)

    def schedule(self, decisions, instance, version, id=None):
        """Add the decision that schedules an instance.

        Raises:
            ActivityInputTooLarge: the input is over SWF's 32,768
                characters (SWF would refuse the whole decision).
        """
        activity_input = garcon_context.encode_json(self.input(instance))
        if len(activity_input) > MAX_INPUT_LENGTH:
            raise ActivityInputTooLarge(
                'The input of activity {} is {:,} characters, over SWF\'s '
                'limit of {:,} (instance {}).'.format(
                    instance.activity_name, len(activity_input),
                    MAX_INPUT_LENGTH, id or instance.id))
        decisions.schedule_activity_task(
            id or instance.id,
            instance.activity_name,
            version,
            task_list=self.task_list,
            heartbeat_timeout=self.heartbeat_timeout,
            schedule_to_close_timeout=self.schedule_to_close_timeout,
            schedule_to_start_timeout=self.schedule_to_start_timeout,
            start_to_close_timeout=self.start_to_close_timeout,
            input=activity_input)


class ActivityPlans(object):
    """The plans of one decision's activities (see :class:`ActivityPlan`).
    """

    def __init__(self):
        self._plans = {}

    def plan(self, instance):
        """Return a plan good for an instance."""
        plan = self._plans.get(instance.activity_worker)
        if plan is None or not plan.fits(instance):
            plan = self._plans[instance.activity_worker] = ActivityPlan(
                instance)
        return plan


def schedule_within_budget(decisions, schedule_context, instance, version,
                           id=None, plans=None):
    """Schedule an activity task if the decision's budget allows it.

    Args:
        plans (ActivityPlans): the plans of the decision (a plan of the
            instance's own when None).

    Returns:
        bool: whether it was scheduled.
    """
    plan = plans.plan(instance) if plans is not None else ActivityPlan(
        instance)
    plan.schedule(decisions, instance, version, id)
    budget = schedule_context.budget
    if budget is None or budget.spend(decisions._data[-1]):
        return True
    decisions._data.pop()
    return False


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
    plans = ActivityPlans()
    for instance in current_activity.instances(activity_context):
        activity_id = '{}-{}'.format(instance.id, schedule_id)
        state = states.get(activity_id)
        if state is not None and state.ready:
            # A decider keeps histories from one decision to the next: what
            # the custom decider gets must not be the history's own.
            result.update(garcon_context.copy_json(state.result))
            continue
        completed = False
        if activity.is_available(instance, state, activity_id):
            schedule_within_budget(
                decisions, schedule_context, instance, version,
                id=activity_id, plans=plans)

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

    #: How many executions' histories the decider keeps between decisions
    #: (the most recently decided ones). The next decision task of a kept
    #: execution is read newest page first, and only down to the events
    #: already read: one page instead of the whole history, and only the
    #: new events to process. 0 reads every history whole.
    history_cache_size = HISTORY_CACHE_SIZE

    #: Seconds an empty answer may wait before it is sent, when activities
    #: are still open: the completions that arrive meanwhile are decided
    #: together by the next decision task (see :mod:`garcon.batching`).
    #: With more than 100 activities open the wait is longer, up to ten
    #: times this at 1,000 (:func:`garcon.batching.window_for`).
    #: Decisions that send anything are answered at once. 0, the default
    #: here, answers every decision task at once, as Garcon 0.4 did: a
    #: loop on :meth:`run` may be killed with an answer waiting. The
    #: deciders of :class:`garcon.worker.Workers` (``garcon decider``,
    #: ``garcon run``, :func:`garcon.testing.run_flow`), which send the
    #: waiting answers when they stop, use
    #: :data:`garcon.batching.DEFAULT_WINDOW`.
    batch_window = 0

    def __init__(self, flow, register=True):
        garcon_flow.validate(flow)
        self._histories = collections.OrderedDict()
        self._deferred = None
        # Whether the answer of the last decision may wait, and how long.
        self._answer_may_wait = False
        self._answer_window = 0
        self._keys = utils.DictionaryKeys()
        self._pool_memory = flow_instances.PoolMemory()
        # The history of the decision being made (see
        # create_decisions_from_flow).
        self._deciding = None
        # Events expected new at the next decision (None: unknown), and
        # the page size of the decision task being read.
        self._expected_events = None
        self._page_size = None
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
        The pages may come newest first (a poll with ``reverse_order``):
        the events are returned in the order of the history all the same.

        Args:
            poll (dict): the decision task.

        Returns:
            list: all the events.
        """
        return self._read_events(poll)

    def _read_events(self, poll, kept=None):
        """Read the events of a decision task, in the order of the history.

        Args:
            poll (dict): the decision task (its first page).
            kept (KeptHistory): the history already read for this execution:
                when the pages come newest first, paging stops at the page
                that reaches its last event (the events returned then start
                with some it already holds).

        Returns:
            list: the events.
        """
        events = list(poll.get('events', ()))
        next_page_token = poll.get('nextPageToken')
        newest_first = _newest_first(events)
        while next_page_token and not (
                newest_first and kept is not None and kept.reached(events)):
            arguments = {'next_page_token': next_page_token}
            if newest_first:
                # Every page of a history is asked as the first one was.
                arguments['reverse_order'] = True
                if self._page_size not in (None, MAX_PAGE_SIZE):
                    arguments['maximum_page_size'] = self._page_size
            page = self.poll(**arguments)
            events.extend(page.get('events', ()))
            next_page_token = page.get('nextPageToken')
            if newest_first is None:
                newest_first = _newest_first(events)
        if newest_first:
            events.reverse()
        return events

    def _read_decision_task(self, poll):
        """Read the events of a decision task that this decider needs.

        Returns:
            tuple: the history kept for the execution (a
            :class:`KeptHistory`, or None) and the events read.
        """
        if not self._keeps_histories():
            return None, self.get_history(poll)
        # Taken out: it is kept again once up to date, so a failure half
        # way leaves nothing half read behind.
        kept = self._histories.pop(_run_id(poll), None)
        return kept, self._read_events(poll, kept)

    def _history(self, kept, events):
        """Return the history up to date (the kept one read further, or a
        new one when there is none or the events do not continue it), and
        the events new to the kept one (None without one)."""
        new_events = kept.new_events(events) if kept is not None else None
        if new_events is None:
            return event.History(events), None
        kept.history.extend(new_events)
        return kept.history, new_events

    def _keep_history(self, poll, history, decisions):
        """Keep the history of an execution for its next decision (unless
        this decision closes the execution).

        Returns:
            bool: whether it is kept.
        """
        run_id = _run_id(poll)
        closing = any(decision.get('decisionType') in CLOSING_DECISIONS
                      for decision in decisions._data)
        if run_id is None or closing or not self._keeps_histories():
            return False
        self._histories[run_id] = KeptHistory(history)
        while len(self._histories) > self.history_cache_size:
            self._histories.popitem(last=False)
        return True

    def get_activity_states(self, history):
        """Get the activity states from the history.

        Args:
            history (list): the full history.

        Returns:
            dict: activity type name -> activity id -> ActivityState, for the
            activities that have been scheduled.
        """
        return event.activity_states_from_events(history)

    def create_decisions_from_flow(self, decisions, activity_states, context,
                                   schedule_context=None):
        """Create the decisions from the flow.

        Simple flows need no custom decider: every activity instance that
        is available (see :func:`garcon.activity.find_available_activities`)
        is scheduled, as far as SWF's limits allow (the next decisions
        schedule the rest); when no instance is left uncompleted, the
        workflow completes.

        Args:
            decisions (Layer1Decisions): the layer decision for swf.
            activity_states (dict): all the activity states.
            context (dict): the context of the activities.
            schedule_context (ScheduleContext): the decision's progress and
                budget (made from ``activity_states`` when None).
        """
        schedule_context = schedule_context or ScheduleContext(
            DecisionBudget(count_open_activities(activity_states)))
        # One evaluation of the flow answers both questions below.
        instances = flow_instances.FlowInstances(
            self.flow, activity_states, context,
            keys=getattr(self, '_keys', None),
            memory=getattr(self, '_pool_memory', None),
            index=self._history_of(activity_states))

        plans = ActivityPlans()

        def take(instance):
            return schedule_within_budget(
                decisions, schedule_context, instance, self.version,
                plans=plans)

        if (not instances.offer_available(take)
                and instances.all_completed()):
            decisions.complete_workflow_execution()

    def _history_of(self, activity_states):
        """Return the History that activity states come from, when they are
        those of the decision being made (None otherwise)."""
        history = getattr(self, '_deciding', None)
        if history is not None and history.states is activity_states:
            return history
        return None

    def delegate_decisions(self, decisions, decider, history, context,
                           schedule_context=None):
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
            schedule_context (ScheduleContext): the decision's progress and
                budget (made from ``history`` when None).
        """
        schedule_context = schedule_context or ScheduleContext(
            DecisionBudget(count_open_activities(history)))
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
            poll = self.poll(**self._poll_arguments(identity))
        except Exception as error:
            self.report_exception(error)
            activity.pause_after_poll_error()
            return True

        if poll.get('taskToken'):
            decisions = self.decide(poll)
            self.answer(poll['taskToken'], decisions)
        return True

    def answer(self, task_token, decisions):
        """Answer a decision task, at once or after :attr:`batch_window`.

        An empty answer, while activities are open, waits the window (sent
        from another thread): the completions that arrive meanwhile are
        decided together by the next decision task. The window grows with
        the activities open (see :func:`garcon.batching.window_for`). Any
        other answer is sent at once. A refused answer goes to
        ``on_exception`` and the log.

        Args:
            task_token (str): the decision task.
            decisions (Layer1Decisions): its decisions.
        """
        if self._answer_may_wait and self.batch_window > 0:
            self._deferred_answers().defer(
                task_token, decisions, self._answer_window)
        else:
            self._send_answer(task_token, decisions)

    def flush_answers(self):
        """Send every answer still waiting for its batch window, now."""
        if self._deferred is not None:
            self._deferred.flush()

    def _deferred_answers(self):
        if self._deferred is None:
            self._deferred = batching.DeferredAnswers(
                self._send_answer, self.report_exception)
        self._deferred.window = self.batch_window
        return self._deferred

    def _send_answer(self, task_token, decisions):
        try:
            self.complete(task_token=task_token, decisions=decisions)
        except Exception as error:
            self.report_exception(error)

    def _keeps_histories(self):
        """Tell whether histories are kept between decisions: not when
        turned off, nor for a decider that reads its history its own way
        (its get_history expects the pages in order)."""
        return (self.history_cache_size > 0
                and type(self).get_history is DeciderWorker.get_history)

    def _poll_arguments(self, identity):
        arguments = {'identity': identity}
        self._page_size = None
        if self._keeps_histories():
            # Newest events first: a kept history needs the first page only.
            arguments['reverse_order'] = True
            self._page_size = self.next_page_size()
            if self._page_size != MAX_PAGE_SIZE:
                arguments['maximum_page_size'] = self._page_size
        return arguments

    def next_page_size(self):
        """Return the page size to ask for the next decision task.

        A page is parsed whole: when the last decision found its execution's
        history kept, the next one likely will too and needs only the new
        events, about as many as the last decision read and caused (at
        least :data:`MIN_PAGE_SIZE`). Otherwise the history is read whole,
        in the largest pages.

        Returns:
            int: the number of events.
        """
        if self._expected_events is None:
            return MAX_PAGE_SIZE
        return max(MIN_PAGE_SIZE, min(MAX_PAGE_SIZE, self._expected_events))

    def _remember(self, poll, history, new_events, decisions):
        """Keep the history for the next decision, and how many events
        that decision will likely read: twice those this one read (new to
        its kept history), plus those its decisions cause."""
        if self._keep_history(poll, history, decisions):
            self._expected_events = 2 * (
                len(new_events or ()) + len(decisions._data))

    def decide(self, poll):
        """Make the decisions of one decision task.

        Args:
            poll (dict): the decision task.

        Returns:
            Layer1Decisions: the decisions; a failure of the workflow if
            anything went wrong while deciding.
        """
        # What the next poll may expect is known once this one succeeds.
        self._expected_events = None
        self._answer_may_wait = False
        kept, events = self._read_decision_task(poll)
        decisions = layer1_decisions.Layer1Decisions()
        try:
            history, new_events = self._history(kept, events)
            self._deciding = history
            # The history is kept for the next decisions: decide on a copy
            # of its context.
            context = history.context.copy()
            context.set_workflow_execution_info(
                poll.get('workflowExecution', {}), self.domain)
            self.set_log_context(context)

            if history.schedule_failures:
                raise ScheduleFailed(str(history.schedule_failures[0]))
            open_activities = history.open_activities
            if history.cancel_requested:
                cancel_when_idle(decisions, open_activities)
                self._remember(poll, history, new_events, decisions)
                return decisions

            schedule_context = ScheduleContext(
                DecisionBudget(open_activities))
            decider = custom_decider(self.flow)
            if decider:
                self.delegate_decisions(
                    decisions, decider, history.states, context,
                    schedule_context)
            else:
                self.create_decisions_from_flow(
                    decisions, history.states, context, schedule_context)
            if schedule_context.budget.out_of_bytes:
                continue_at_once(decisions, poll)
            self._remember(poll, history, new_events, decisions)
            # Nothing to send, and open activities will bring news.
            self._answer_may_wait = bool(
                open_activities and not decisions._data)
            self._answer_window = batching.window_for(
                self.batch_window, open_activities,
                history.decision_task_timeout)
        except Exception as error:
            decisions = layer1_decisions.Layer1Decisions()
            fail_workflow(decisions, error)
            self.report_exception(error)
        finally:
            self.unset_log_context()
            self._page_size = None
            self._deciding = None
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


class KeptHistory(object):
    """The history of an execution, as a decider last read it.

    Args:
        history (garcon.event.History): the history read.
    """

    def __init__(self, history):
        self.history = history
        self.last_event_id = history.last_event_id
        self.last_event = history.last_event

    def reached(self, events):
        """Tell whether events, newest first, reach back to the last event
        read (the same event: same id, type and time)."""
        if not events or events[-1].get('eventId', 0) > self.last_event_id:
            return False
        # Event ids follow each other: look where it should be first.
        position = events[0].get('eventId', 0) - self.last_event_id
        if 0 <= position < len(events) and (
                events[position].get('eventId') == self.last_event_id):
            return _same_event(events[position], self.last_event)
        for candidate in reversed(events):
            event_id = candidate.get('eventId')
            if event_id == self.last_event_id:
                return _same_event(candidate, self.last_event)
            if event_id is None or event_id > self.last_event_id:
                return False
        return False

    def new_events(self, events):
        """Return the events that follow the last one read.

        Args:
            events (list): events in the order of the history.

        Returns:
            list: the events after it, or None when the events do not hold
            it (or hold another event under its id): this history is not
            theirs.
        """
        if events:
            # Event ids follow each other: look where it should be first.
            position = self.last_event_id - events[0].get('eventId', 0)
            if 0 <= position < len(events) and (
                    events[position].get('eventId') == self.last_event_id):
                if _same_event(events[position], self.last_event):
                    return events[position + 1:]
                return None
        for position in range(len(events) - 1, -1, -1):
            event_id = events[position].get('eventId')
            if event_id is None or event_id < self.last_event_id:
                return None
            if event_id == self.last_event_id:
                if _same_event(events[position], self.last_event):
                    return events[position + 1:]
                return None
        return None


def _same_event(one, other):
    return all(one.get(key) == other.get(key)
               for key in ('eventId', 'eventType', 'eventTimestamp'))


def _newest_first(events):
    """Tell whether events come newest first (None when one event or none
    cannot tell)."""
    if len(events) < 2:
        return None
    first, last = events[0].get('eventId'), events[-1].get('eventId')
    if first is None or last is None:
        return None
    return first > last


def _run_id(poll):
    return poll.get('workflowExecution', {}).get('runId')


def custom_decider(flow):
    """Return the flow's own decider function, if it has one.

    A flow module that imports ``garcon.decider`` has a ``decider``
    attribute too: only a function (or a method) counts.
    """
    decider = getattr(flow, 'decider', None)
    if inspect.isfunction(decider) or inspect.ismethod(decider):
        return decider
    return None


def cancel_when_idle(decisions, open_activities):
    """Honour a cancel request.

    Nothing new is scheduled; once the activities in flight have closed
    (their results stay in the history), the execution is canceled.
    """
    if not open_activities:
        decisions.cancel_workflow_executions(
            details='Canceled on request.')


def continue_at_once(decisions, poll):
    """Bring the next decision at once with a zero-second timer.

    Used when a decision could not hold every activity it had to schedule:
    otherwise the next decision would wait for one of them to close.
    """
    decisions.start_timer(
        start_to_fire_timeout='0',
        timer_id='{}{}'.format(
            CONTINUE_TIMER_PREFIX, poll.get('startedEventId', 0)))


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
