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

import collections
import functools
import itertools
import marshal

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
        memory (PoolMemory): the instance ids of generator outputs seen
            before (a decider keeps one); None computes every id.
        index (garcon.event.History): the history ``history`` comes from:
            it tells which ids have completed or failed without a look at
            each state. None finds them in ``history``.
    """

    def __init__(self, flow, history, context, keys=None, memory=None,
                 index=None):
        self.history = history
        self.context = context
        self.activities = activity.find_workflow_activities(flow)
        self._keys = keys or utils.create_dictionary_key
        self._memory = memory
        self._index = index
        self._ids_by_state = {}
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
            instance_id = '{}-1'.format(current.name)
            return _Pool(lambda: {instance_id: {}}, dict(self.context))
        outputs = [current._generate(generator, self.context)
                   for generator in current.generators]
        if len(outputs) == 1:
            make = functools.partial(self._single_pool, current, outputs[0])
        else:
            make = functools.partial(self._product_pool, current, outputs)
        # Generators may change the context: instances see it as it is once
        # their own generators have run.
        return _Pool(make, dict(self.context), empty=not all(outputs))

    def _single_pool(self, current, outputs):
        """Return instance id -> local context for the outputs of an
        activity's only generator."""
        memory = self._memory
        memory_key = None
        if memory is not None:
            memory_key = memory.key(current.name, outputs)
            ids = memory.get(memory_key)
            if ids is not None:
                # The same outputs as before, to the types: the same ids.
                return dict(zip(ids, outputs))
        # Each output is the local context, as is (the instance gets a
        # copy): nothing to merge, nothing to allocate.
        prefix = '{}-'.format(current.name)
        keys = self._keys
        local_contexts = {}
        for values in outputs:
            instance_id = prefix + (keys(values) if values else '1')
            local_contexts.setdefault(instance_id, values)
        if memory is not None and len(local_contexts) == len(outputs):
            memory.remember(memory_key, tuple(local_contexts))
        return local_contexts

    def _product_pool(self, current, outputs):
        """Return instance id -> local context for the outputs of an
        activity's generators: one instance per combination."""
        prefix = '{}-'.format(current.name)
        keys = self._keys
        local_contexts = {}
        for combination in itertools.product(*outputs):
            local_context = {}
            for values in combination:
                local_context.update(values)
            instance_id = prefix + (
                keys(local_context) if local_context else '1')
            local_contexts.setdefault(instance_id, local_context)
        return local_contexts

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
            done = self._ids_with_state(current, activity.ACTIVITY_COMPLETED)
            # Nothing completed yet: no instance id is needed to tell.
            completed = pool is not None and (
                pool.empty or (bool(done) and pool.all_in(done)))
            self._completed[current] = completed
        return completed

    def all_completed(self):
        """Tell whether every instance of every activity has completed
        (when :meth:`uncomplete` would yield nothing)."""
        return all(self.is_completed(current) for current in self.activities)

    def _ids_with_state(self, current, last_state):
        """Return the set of the ids of an activity whose last state is
        ``last_state`` (completed or failed)."""
        if self._index is not None:
            by_name = (self._index.completed_ids
                       if last_state == activity.ACTIVITY_COMPLETED
                       else self._index.failed_ids)
            return by_name.get(current.name, frozenset())
        key = (current.name, last_state)
        ids = self._ids_by_state.get(key)
        if ids is None:
            ids = self._ids_by_state[key] = frozenset(
                instance_id for instance_id, state
                in self.states_of(current).items()
                if state.get_last_state() == last_state)
        return ids

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
            if not states:
                for instance_id, entry in pool.entries():
                    yield current, pool, instance_id, entry
                continue
            if pool.all_in(states.keys()):
                # Every instance has a state: only a failed one may be
                # available again.
                failed = self._ids_with_state(
                    current, activity.ACTIVITY_FAILED)
                if not failed:
                    continue
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

    Their ids are computed when first needed: a decision often needs none
    of an activity whose requirements have not completed.

    Args:
        make_local_contexts (callable): returns instance id -> local
            context, in order.
        context (dict): the context the instances see.
        empty (bool): whether there is no instance.
    """

    def __init__(self, make_local_contexts, context, empty=False):
        self._make_local_contexts = make_local_contexts
        self.context = context
        self.empty = empty

    @functools.cached_property
    def local_contexts(self):
        """dict: instance id -> local context, in order."""
        return self._make_local_contexts()

    def all_in(self, ids):
        """Tell whether every instance id is in a set of ids."""
        return self.local_contexts.keys() <= ids

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
        self.empty = not self._entries

    def all_in(self, ids):
        """Tell whether every instance id is in a set of ids."""
        return all(instance_id in ids for instance_id, _ in self._entries)

    def entries(self):
        """Return (instance id, instance) pairs, in order."""
        return self._entries

    def instance(self, current, instance_id, made):
        """Return the instance."""
        return made


class PoolMemory(object):
    """The instance ids of the generator outputs a decider has seen.

    A decider runs each generator at every decision, and a fan-out's
    generator gives the same outputs every time: their ids, a key each, are
    worth remembering whole. Outputs are recognized by their ``marshal``
    bytes, which tell the types apart as the keys do (``1``, ``1.0`` and
    ``True`` are equal, but their keys are not); outputs ``marshal``
    cannot write are not remembered.

    Args:
        size (int): how many outputs to remember (the most recent).
        max_ids (int): how many instance ids to remember in all: the
            most recent outputs are kept within it (a decider keeps the
            histories of 16 executions; as many fan-outs of SWF's 25,000
            events hold some 120,000 instances).
    """

    def __init__(self, size=32, max_ids=131072):
        self.size = size
        self.max_ids = max_ids
        self._ids = collections.OrderedDict()
        self._count = 0

    def key(self, activity_name, outputs):
        """Return the key of an activity's generator outputs (None when
        they cannot be remembered)."""
        try:
            # Version 2 writes no references: equal outputs, equal bytes.
            return activity_name, marshal.dumps(outputs, 2)
        except ValueError:
            return None

    def get(self, key):
        """Return the instance ids remembered for a key, or None."""
        if key is None:
            return None
        ids = self._ids.get(key)
        if ids is not None:
            self._ids.move_to_end(key)
        return ids

    def remember(self, key, ids):
        """Remember the instance ids of the outputs of a key, in order (one
        per output)."""
        if key is None or len(ids) > self.max_ids:
            return
        previous = self._ids.pop(key, ())
        self._ids[key] = ids
        self._count += len(ids) - len(previous)
        while len(self._ids) > self.size or self._count > self.max_ids:
            _, forgotten = self._ids.popitem(last=False)
            self._count -= len(forgotten)
