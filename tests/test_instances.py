"""The flow's instances as a decision sees them (garcon.instances), and what
a decider keeps to see them faster: the history's ids by last state and the
memory of generator outputs. Whatever is kept, the answers are those of a
plain evaluation."""

import enum
import random

import pytest

from garcon import activity
from garcon import event
from garcon import instances as flow_instances
from garcon import runner
from garcon import utils

from tests.helpers import EventHistory
from tests.helpers import make_flow
from tests.helpers import noop

DOMAIN = 'dev'
FLOW = 'flow'


def expected_ids(full_name, outputs):
    """The ids 0.4 gives an activity's instances, first occurrence kept."""
    ids = []
    for values in outputs:
        key = utils.create_dictionary_key(values) if values else '1'
        instance_id = '{}-{}'.format(full_name, key)
        if instance_id not in ids:
            ids.append(instance_id)
    return ids


def ids_by_last_state(states, last_state):
    return {
        name: {activity_id for activity_id, state in instances.items()
               if state.get_last_state() == last_state}
        for name, instances in states.items()}


# --- the history's ids by last state ---

def test_the_history_keeps_the_ids_of_each_last_state():
    history = EventHistory()
    history.started({})
    read = event.History()

    def check():
        read.extend(history.events[len(read_events):])
        read_events[:] = history.events
        states = event.activity_states_from_events(history.events)
        assert read.completed_ids == ids_by_last_state(
            states, activity.ACTIVITY_COMPLETED)
        assert read.failed_ids == ids_by_last_state(
            states, activity.ACTIVITY_FAILED)

    read_events = []
    for activity_id in ('a-1', 'a-2', 'a-3', 'a-4'):
        history.scheduled('flow_a', activity_id)
    history.scheduled('flow_b', 'b-1')
    check()
    history.completed('a-1')
    history.failed('a-2')
    history.timed_out('a-3')
    history.canceled('a-4')
    check()
    assert read.completed_ids['flow_a'] == {'a-1'}
    assert read.failed_ids['flow_a'] == {'a-2', 'a-3', 'a-4'}
    # Retried: no longer failed until it closes again.
    history.scheduled('flow_a', 'a-2')
    history.scheduled('flow_a', 'a-3')
    check()
    assert read.failed_ids['flow_a'] == {'a-4'}
    history.completed('a-2')
    history.failed('a-3')
    history.completed('b-1')
    check()
    assert read.completed_ids == {'flow_a': {'a-1', 'a-2'},
                                  'flow_b': {'b-1'}}
    assert read.failed_ids == {'flow_a': {'a-3', 'a-4'}, 'flow_b': set()}


def test_no_id_is_computed_for_instances_that_cannot_run_yet(create):
    computed = []

    def keys(values):
        computed.append(values)
        return utils.create_dictionary_key(values)

    first = create(name='first', run=runner.Sync(noop))
    fan = create(name='fan', requires=[first], run=runner.Sync(noop),
                 generators=[lambda context: [{'n': n} for n in range(3)]])
    last = create(name='last', requires=[fan], run=runner.Sync(noop))
    flow = make_flow(first=first, fan=fan, last=last)
    history = EventHistory()
    history.started({})
    kept = event.History(history.events)
    instances = flow_instances.FlowInstances(
        flow, kept.states, {}, keys=keys, index=kept)
    assert [i.id for i in instances.available()] == ['flow_first-1']
    assert not instances.all_completed()
    assert computed == []
    history.scheduled('flow_first', 'flow_first-1')
    history.completed('flow_first-1')
    kept = event.History(history.events)
    instances = flow_instances.FlowInstances(
        flow, kept.states, {}, keys=keys, index=kept)
    assert [i.id for i in instances.available()] == expected_ids(
        'flow_fan', [{'n': n} for n in range(3)])
    assert computed == [{'n': n} for n in range(3)]


# --- the memory of generator outputs ---

def test_outputs_equal_but_of_other_types_get_their_own_ids(create):
    outputs = {'now': [{'n': 1}, {'n': 2}]}

    def generator(context):
        return list(outputs['now'])

    fan = create(name='fan', generators=[generator], run=runner.Sync(noop))
    flow = make_flow(fan=fan)
    memory = flow_instances.PoolMemory()
    # 1, True and 1.0 are equal, and so are the outputs: not their keys.
    for now in ([{'n': 1}, {'n': 2}], [{'n': True}, {'n': 2}],
                [{'n': 1.0}, {'n': 2}], [{'n': 1}, {'n': 2}],
                [{'n': '1'}, {'n': 2}], [{'n': 1}, {'n': 2}, {'n': 1}],
                [{'n': 1, 'm': 'x'}, {'n': 2}], []):
        outputs['now'] = now
        instances = flow_instances.FlowInstances(
            flow, {}, {}, keys=utils.DictionaryKeys(), memory=memory)
        made = [instance.id for instance in instances.available()]
        assert made == expected_ids('flow_fan', now), now
        assert [i.local_context for i in instances.available()] == [
            dict(values) for values in now[:len(made)]]


def test_outputs_marshal_cannot_write_are_keyed_every_time(create):
    class Country(object):
        def __init__(self, name):
            self.name = name

        def __str__(self):
            return self.name

    names = ['fr']
    fan = create(name='fan', run=runner.Sync(noop), generators=[
        lambda context: [{'country': Country(name)} for name in names]])
    flow = make_flow(fan=fan)
    memory = flow_instances.PoolMemory()
    for now in (['fr'], ['de'], ['fr', 'de']):
        names[:] = now
        instances = flow_instances.FlowInstances(
            flow, {}, {}, memory=memory)
        assert [i.id for i in instances.available()] == expected_ids(
            'flow_fan', [{'country': name} for name in now])


def test_subclasses_of_plain_types_are_keyed_every_time(create):
    class Size(enum.IntEnum):
        SMALL = 1

    class Name(str):
        pass

    outputs = {'now': None}
    fan = create(name='fan', run=runner.Sync(noop),
                 generators=[lambda context: outputs['now']])
    flow = make_flow(fan=fan)
    memory = flow_instances.PoolMemory()
    # Each is equal to the one before, and written as a str.format of its
    # own (an IntEnum's differs from its int's on some Pythons).
    for now in ([{'n': 1}], [{'n': Size.SMALL}], [{'n': 'x'}],
                [{'n': Name('x')}], [{'n': 1}]):
        outputs['now'] = now
        instances = flow_instances.FlowInstances(
            flow, {}, {}, keys=utils.DictionaryKeys(), memory=memory)
        assert [i.id for i in instances.available()] == expected_ids(
            'flow_fan', now)


def test_a_generator_yielding_a_non_dict_fails_even_when_remembered(create):
    outputs = [[{'n': 1}], [{'n': 1}, 'oops']]
    fan = create(name='fan', run=runner.Sync(noop),
                 generators=[lambda context: outputs.pop(0)])
    flow = make_flow(fan=fan)
    memory = flow_instances.PoolMemory()
    flow_instances.FlowInstances(flow, {}, {}, memory=memory)
    with pytest.raises(TypeError, match='yielded a str'):
        flow_instances.FlowInstances(flow, {}, {}, memory=memory)


def test_the_memory_keeps_the_most_recent_outputs():
    memory = flow_instances.PoolMemory(size=2)
    keys = [memory.key('a', [{'n': n}]) for n in range(3)]
    for n, key in enumerate(keys):
        memory.remember(key, ('a-{}'.format(n),))
    assert memory.get(keys[0]) is None
    assert memory.get(keys[1]) == ('a-1',)
    assert memory.get(keys[2]) == ('a-2',)
    assert memory.key('a', [{'n': object()}]) is None
    assert memory.get(None) is None


def test_the_memory_keeps_within_its_number_of_ids():
    memory = flow_instances.PoolMemory(max_ids=5)
    keys = [memory.key('a', [{'n': n}]) for n in range(4)]
    memory.remember(keys[0], ('a-0', 'a-1'))
    memory.remember(keys[1], ('a-2', 'a-3'))
    memory.remember(keys[1], ('a-2', 'a-3'))
    assert memory.get(keys[0]) == ('a-0', 'a-1')
    # keys[0] was read last: keys[1] goes first.
    memory.remember(keys[2], ('a-4', 'a-5'))
    assert memory.get(keys[1]) is None
    assert memory.get(keys[0]) and memory.get(keys[2])
    memory.remember(keys[3], tuple('a-{}'.format(n) for n in range(6)))
    assert memory.get(keys[3]) is None


# --- a kept evaluation answers as a plain one ---

def random_history(rng, activity_ids, length):
    """Yield a history growing event by event: activities scheduled,
    closed, retried at random, as SWF would let them."""
    history = EventHistory()
    history.started({'count': len(activity_ids['flow_fan'])})
    open_ids, completed = [], set()
    for _ in range(length):
        name = rng.choice(sorted(activity_ids))
        activity_id = rng.choice(activity_ids[name])
        if open_ids and rng.random() < 0.6:
            closing = open_ids.pop(rng.randrange(len(open_ids)))
            close = rng.choice([history.completed, history.completed,
                                history.failed, history.timed_out])
            close(closing)
            if close == history.completed:
                completed.add(closing)
        elif activity_id not in open_ids and activity_id not in completed:
            # An activity completes once (a completed one has a result).
            history.scheduled(name, activity_id)
            open_ids.append(activity_id)
        yield history


def answers(flow, instances):
    try:
        available = [instance.id for instance in instances.available()]
    except activity.ActivityRetryExceeded as error:
        available = str(error)
    return (available, instances.all_completed(),
            [instances.is_completed(current)
             for current in activity.find_workflow_activities(flow)],
            [instance.id for instance in instances.uncomplete()])


@pytest.mark.parametrize('seed', range(8))
def test_kept_answers_are_the_plain_answers(create, seed):
    rng = random.Random(seed)
    counts = {'now': 4}

    def generator(context):
        return [{'gen.n': n} for n in range(counts['now'])]

    first = create(name='first', retry=5, run=runner.Sync(noop))
    fan = create(name='fan', requires=[first], generators=[generator],
                 retry=1, run=runner.Sync(noop))
    last = create(name='last', requires=[fan], run=runner.Sync(noop))
    flow = make_flow(first=first, fan=fan, last=last)
    fan_ids = expected_ids('flow_fan', generator({}))
    activity_ids = {'flow_first': ['flow_first-1'], 'flow_fan': fan_ids,
                    'flow_last': ['flow_last-1']}
    keys, memory = utils.DictionaryKeys(), flow_instances.PoolMemory()
    kept = None
    read = 0
    for step, history in enumerate(random_history(rng, activity_ids, 100)):
        # The generator changes its mind now and then.
        counts['now'] = rng.choice([4, 4, 4, 3])
        if kept is None:
            kept = event.History()
        kept.extend(history.events[read:])
        read = len(history.events)
        context = dict(kept.context)
        plain = flow_instances.FlowInstances(
            flow, event.activity_states_from_events(history.events), context)
        fast = flow_instances.FlowInstances(
            flow, kept.states, context, keys=keys, memory=memory,
            index=kept)
        assert answers(flow, fast) == answers(flow, plain), step


def test_a_failed_instance_among_scheduled_ones_is_available(create):
    fan = create(name='fan', retry=1, run=runner.Sync(noop), generators=[
        lambda context: [{'n': n} for n in range(3)]])
    flow = make_flow(fan=fan)
    ids = expected_ids('flow_fan', [{'n': n} for n in range(3)])
    history = EventHistory()
    history.started({})
    for activity_id in ids:
        history.scheduled('flow_fan', activity_id)
    history.failed(ids[1])
    history.completed(ids[2])
    kept = event.History(history.events)
    instances = flow_instances.FlowInstances(
        flow, kept.states, {}, memory=flow_instances.PoolMemory(),
        index=kept)
    assert [instance.id for instance in instances.available()] == [ids[1]]
    assert not instances.is_completed(fan)


def test_an_activity_with_instances_of_its_own_is_answered_too(create):
    class Pair(activity.Activity):
        def instances(self, context):
            return [activity.ActivityInstance(
                self, local_context={'side': side},
                execution_context=context) for side in ('left', 'right')]

    pair = Pair()
    pair.hydrate({'name': 'flow_pair', 'domain': DOMAIN,
                  'task_list': 'flow_pair', 'run': runner.Sync(noop)})
    flow = make_flow(pair=pair)
    ids = [instance.id for instance in pair.instances({})]
    history = EventHistory()
    history.started({})
    for activity_id in ids:
        history.scheduled('flow_pair', activity_id)
    kept = event.History(history.events)
    instances = flow_instances.FlowInstances(
        flow, kept.states, {}, index=kept)
    assert list(instances.available()) == []
    assert not instances.all_completed()
    history.completed(ids[0])
    history.failed(ids[1])
    kept = event.History(history.events)
    with pytest.raises(activity.ActivityRetryExceeded):
        list(flow_instances.FlowInstances(
            flow, kept.states, {}, index=kept).available())
    history.scheduled('flow_pair', ids[1])
    history.completed(ids[1])
    kept = event.History(history.events)
    assert flow_instances.FlowInstances(
        flow, kept.states, {}, index=kept).all_completed()


@pytest.fixture
def create():
    return activity.create(DOMAIN, FLOW)
