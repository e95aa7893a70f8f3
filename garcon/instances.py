"""The instances of a flow's activities, as one decision sees them.

A decision asks several questions about the same instances: which are
available, which have not completed, whether every instance an activity
requires has completed. :class:`FlowInstances` answers them all from one
evaluation of the flow: each activity's generators run once, each instance
id is computed once, and no answer costs more than one pass over the
instances. :func:`garcon.activity.find_available_activities` and
:func:`garcon.activity.find_uncomplete_activities` are built on it, and so
is the default decider.
"""

import itertools

# garcon.activity builds find_available_activities on this module and this
# module builds on garcon.activity's classes: each reads the other's names
# only when called, so either may be imported first.
from garcon import activity
from garcon import utils


class FlowInstances(object):
    """The instances of a flow's activities in one context, and their
    states.

    An :class:`~garcon.activity.ActivityInstance` is only made for the
    instances an answer returns; the others stay an id and a local context.

    Args:
        flow (module): the flow module.
        history (dict): the activity states (see
            :func:`garcon.event.activity_states_from_events`).
        context (dict): the current context.
        keys (callable): computes the key of a local context (by default
            :func:`~garcon.utils.create_dictionary_key`; a decider gives a
            :class:`~garcon.utils.DictionaryKeys` that it keeps).
    """

    def __init__(self, flow, history, context, keys=None):
        self.history = history
        self.context = context
        self.activities = activity.find_workflow_activities(flow)
        self._keys = keys or utils.create_dictionary_key
        # All generators run before any instance is looked at, in the
        # order of the activities, as Activity.instances would.
        self._pools = dict(
            (current, self._pool(current)) for current in self.activities)
        self._completed = {}

    def _pool(self, current):
        """Return the instances of an activity (a :class:`_Pool`)."""
        if type(current).instances is not activity.Activity.instances:
            # The activity makes its instances its own way.
            return _MadePool(current.instances(self.context))
        if not current.generators:
            return _Pool({'{}-1'.format(current.name): {}}, dict(self.context))
        outputs = [current._generate(generator, self.context)
                   for generator in current.generators]
        prefix = '{}-'.format(current.name)
        keys = self._keys
        local_contexts = {}
        if len(outputs) == 1:
            # One generator: each output is the local context, as is (the
            # instance gets a copy): nothing to merge, nothing to allocate.
            for values in outputs[0]:
                instance_id = prefix + (keys(values) if values else '1')
                local_contexts.setdefault(instance_id, values)
        else:
            for combination in itertools.product(*outputs):
                local_context = {}
                for values in combination:
                    local_context.update(values)
                instance_id = prefix + (
                    keys(local_context) if local_context else '1')
                local_contexts.setdefault(instance_id, local_context)
        # Generators may change the context: instances see it as it is once
        # their own generators have run.
        return _Pool(local_contexts, dict(self.context))

    def states_of(self, current):
        """Return the states of an activity's instances (id -> state)."""
        return self.history.get(current.name, {})

    def instances(self, current):
        """Return all the instances of an activity of the flow."""
        pool = self._pools[current]
        return [pool.instance(current, instance_id, entry)
                for instance_id, entry in pool.entries()]

    def is_completed(self, current):
        """Tell whether every instance of an activity of the flow has
        completed (False for an activity that is not in the flow)."""
        completed = self._completed.get(current)
        if completed is None:
            pool = self._pools.get(current)
            states = self.states_of(current)
            completed = pool is not None and all(
                _is_completed(states.get(instance_id))
                for instance_id in pool.ids())
            self._completed[current] = completed
        return completed

    def available(self):
        """Yield the available instances (see
        :func:`find_available_activities`), in the order of the flow."""
        for current, pool, instance_id, entry in self._available_entries():
            yield pool.instance(current, instance_id, entry)

    def offer_available(self, take):
        """Offer the available instances to ``take``, in the order of the
        flow, until it refuses one.

        A decision schedules at most 1,000 activities while a fan-out may
        have many more available: the instances after a refusal are not
        made, but they are still checked, so that one that failed beyond
        its retries raises as :meth:`available` would.

        Args:
            take (callable): called with each instance; returns False to
                refuse it (and stop).

        Returns:
            bool: whether any instance was available.

        Raises:
            ActivityRetryExceeded: an instance failed beyond its retries.
        """
        entries = self._available_entries()
        found = False
        for current, pool, instance_id, entry in entries:
            found = True
            if not take(pool.instance(current, instance_id, entry)):
                for _ in entries:
                    pass
                break
        return found

    def _available_entries(self):
        """Yield (activity, pool, instance id, entry) of the available
        instances, in the order of the flow."""
        for current in self.activities:
            if not all(self.is_completed(required)
                       for required in current.requires):
                continue
            pool = self._pools[current]
            states = self.states_of(current)
            for instance_id, entry in pool.entries():
                state = states.get(instance_id)
                if state is None or (
                        state.get_last_state() == activity.ACTIVITY_FAILED
                        and activity.is_available(
                            pool.instance(current, instance_id, entry),
                            state)):
                    yield current, pool, instance_id, entry

    def uncomplete(self):
        """Yield the instances that have not completed, in the order of the
        flow."""
        for current in self.activities:
            pool = self._pools[current]
            states = self.states_of(current)
            for instance_id, entry in pool.entries():
                state = states.get(instance_id)
                if state is None or (
                        state.get_last_state() != activity.ACTIVITY_COMPLETED):
                    yield pool.instance(current, instance_id, entry)


class _Pool(object):
    """The instances of an activity, before any instance object is made.

    Args:
        local_contexts (dict): instance id -> local context, in order.
        context (dict): the context the instances see.
    """

    def __init__(self, local_contexts, context):
        self.local_contexts = local_contexts
        self.context = context

    def ids(self):
        """Return the instance ids, in order."""
        return self.local_contexts

    def entries(self):
        """Return (instance id, local context) pairs, in order."""
        return self.local_contexts.items()

    def instance(self, current, instance_id, local_context):
        """Make the instance object of an instance id."""
        instance = activity.ActivityInstance(
            current, local_context=dict(local_context),
            execution_context=self.context)
        instance.pool_size = len(self.local_contexts)
        instance._id = instance_id
        return instance


class _MadePool(object):
    """The instances an activity made itself (its ``instances`` method is
    its own).

    Args:
        instances (list): the instances.
    """

    def __init__(self, instances):
        self._entries = [(instance.id, instance) for instance in instances]

    def ids(self):
        """Return the instance ids, in order."""
        return [instance_id for instance_id, _ in self._entries]

    def entries(self):
        """Return (instance id, instance) pairs, in order."""
        return self._entries

    def instance(self, current, instance_id, made):
        """Return the instance."""
        return made


def _is_completed(state):
    return (state is not None
            and state.get_last_state() == activity.ACTIVITY_COMPLETED)
