"""End to end: real deciders and workers over HTTP on the local SWF.

Each test runs a flow with garcon.testing.run_flow (a DeciderWorker and
Activity workers in threads, against moto's server on 127.0.0.1) and checks
the closed execution and the context read from its real history.
"""

import collections
import json

from garcon import batching
from garcon import connection
from garcon import decider
from garcon import testing

import example.code_sample
import example.custom_decider
import example.serial
from tests.flows import external
from tests.flows import flaky_countries
from tests.flows import heartbeat
from tests.flows import start_to_close
from tests.flows import together


def scheduled(run, activity_name):
    """The ActivityTaskScheduled events of one activity."""
    return [
        e for e in run.events_of_type('ActivityTaskScheduled')
        if e['activityTaskScheduledEventAttributes']['activityType'][
            'name'] == activity_name]


def event_index(run, event_type, activity_name):
    """Position in the history of the first event of a type for an
    activity."""
    ids = {e['eventId']: e for e in scheduled(run, activity_name)}
    for position, e in enumerate(run.events):
        if e['eventType'] != event_type:
            continue
        attributes = e[event_type[0].lower() + event_type[1:] +
                       'EventAttributes']
        if attributes.get('scheduledEventId') in ids:
            return position
    raise AssertionError('no {} for {}'.format(event_type, activity_name))


def test_serial_flow(local_swf):
    run = testing.run_flow(example.serial, input={'user': 'bob'})

    assert run.status == 'COMPLETED'
    assert run.context['result'] == 'Now don\u2019t be givin him sambuca!'
    assert run.context['user'] == 'bob'
    # b_tasks is scheduled only once a_tasks has completed, and so on.
    assert (event_index(run, 'ActivityTaskCompleted', 'boto_tutorial_a_tasks')
            < run.events.index(scheduled(run, 'boto_tutorial_b_tasks')[0]))
    assert (event_index(run, 'ActivityTaskCompleted', 'boto_tutorial_b_tasks')
            < run.events.index(scheduled(run, 'boto_tutorial_c_tasks')[0]))


def test_parallel_flow(local_swf):
    run = testing.run_flow(example.code_sample)

    assert run.status == 'COMPLETED'
    second = scheduled(run, 'code_sample_activity_2')[0]
    third = scheduled(run, 'code_sample_activity_3')[0]
    # activity_2 and activity_3 are scheduled by the same decision.
    assert (second['activityTaskScheduledEventAttributes'][
        'decisionTaskCompletedEventId'] == third[
            'activityTaskScheduledEventAttributes'][
                'decisionTaskCompletedEventId'])
    fourth = run.events.index(scheduled(run, 'code_sample_activity_4')[0])
    assert event_index(
        run, 'ActivityTaskCompleted', 'code_sample_activity_2') < fourth
    assert event_index(
        run, 'ActivityTaskCompleted', 'code_sample_activity_3') < fourth
    # Identifiers as in Garcon 0.4.x.
    attributes = second['activityTaskScheduledEventAttributes']
    assert attributes['activityId'] == 'code_sample_activity_2-1'
    assert attributes['taskList']['name'] == 'code_sample_activity_2'
    assert attributes['activityType']['version'] == '1.0'


def test_completions_during_the_batch_window_share_a_decision(
        local_swf, monkeypatch):
    # The eight instances end together: the decision of the first
    # completion has nothing to send and waits, while the others arrive.
    monkeypatch.setattr(batching, 'DEFAULT_WINDOW', 2)
    together.barrier.reset()

    run = testing.run_flow(
        together, threads_per_activity=together.INSTANCES)

    assert run.status == 'COMPLETED'
    completed = run.events_of_type('DecisionTaskCompleted')
    started = {e['eventId']: e['eventTimestamp']
               for e in run.events_of_type('DecisionTaskStarted')}
    deciding = collections.Counter(
        e[key]['decisionTaskCompletedEventId'] for e in run.events
        for key in e if key.endswith('EventAttributes')
        and 'decisionTaskCompletedEventId' in e[key])
    empty = [e for e in completed if e['eventId'] not in deciding]
    # The start (schedules the 8), maybe the first completion (nothing to
    # send: waited), the others (schedule done), done (completes): the 8
    # completions took 2 decision tasks at most, not one each.
    assert len(completed) - len(empty) == 3
    assert len(empty) <= 1
    for answer in empty:
        waited = answer['eventTimestamp'] - started[
            answer['decisionTaskCompletedEventAttributes']['startedEventId']]
        assert waited >= 1.9


def test_generators_complete_within_retry(local_swf):
    flaky_countries.reset()
    run = testing.run_flow(flaky_countries, input={'countries': 4})

    assert run.status == 'COMPLETED'
    # Country n failed n times, then succeeded at attempt n + 1.
    assert {run.context['country.{}'.format(n)] for n in range(4)} == {
        1, 2, 3, 4}
    assert run.context['total'] == 1 + 2 + 3 + 4
    assert len(run.events_of_type('ActivityTaskFailed')) == 0 + 1 + 2 + 3
    assert not run.events_of_type('ScheduleActivityTaskFailed')
    # Each instance is retried under its own id, one per country.
    fetch_ids = {
        e['activityTaskScheduledEventAttributes']['activityId']
        for e in scheduled(run, 'flaky_countries_fetch')}
    assert len(fetch_ids) == 4
    assert len(scheduled(run, 'flaky_countries_fetch')) == 1 + 2 + 3 + 4


def test_generators_fail_beyond_retry(local_swf):
    flaky_countries.reset(extra={1: 3})  # country 1 fails 4 times
    run = testing.run_flow(flaky_countries, input={'countries': 2})

    assert run.status == 'FAILED'
    assert 'flaky_countries_fetch' in run.reason
    assert 'retry=3' in run.reason
    assert not scheduled(run, 'flaky_countries_finish')


def test_custom_decider_with_milk(local_swf):
    run = testing.run_flow(
        example.custom_decider.flow,
        input={'drink': 'latte', 'milk': True, 'shots': 2})

    assert run.status == 'COMPLETED'
    assert run.context['served'] == 'latte with 2 shot(s) and steamed milk'
    assert [e['activityTaskScheduledEventAttributes']['activityId']
            for e in scheduled(run, 'coffee_shop_steam_milk')] == [
                'coffee_shop_steam_milk-1-milk']


def test_custom_decider_without_milk(local_swf):
    run = testing.run_flow(
        example.custom_decider.flow, input={'drink': 'espresso'})

    assert run.status == 'COMPLETED'
    assert run.context['served'] == 'espresso with 1 shot(s)'
    assert not scheduled(run, 'coffee_shop_steam_milk')


def test_external_activity_completed_by_a_foreign_worker(local_swf):
    """A plain boto Layer1 plays the worker written in another language."""
    import threading

    foreign_input = {}

    def foreign_worker():
        swf = connection.connect()
        while True:
            task = swf.poll_for_activity_task(
                'dev', 'external_flow_foreign', identity='foreign')
            if task.get('taskToken'):
                break
        foreign_input.update(json.loads(task['input']))
        swf.respond_activity_task_completed(
            task['taskToken'], json.dumps({'foreign.answer': 42}))

    decider.DeciderWorker(external)  # registers: the task list must exist
    thread = threading.Thread(target=foreign_worker, daemon=True)
    thread.start()
    run = testing.run_flow(external, input={'question': 'six by nine'})
    thread.join(10)

    assert run.status == 'COMPLETED'
    assert run.context['concluded_with'] == 42
    # The external activity receives the whole context.
    assert foreign_input['question'] == 'six by nine'
    assert foreign_input['prepared'] == 'yes'
    attributes = scheduled(run, 'external_flow_foreign')[0][
        'activityTaskScheduledEventAttributes']
    assert attributes['startToCloseTimeout'] == '30'
    assert attributes['heartbeatTimeout'] == '10'


def test_an_activity_swf_refuses_to_schedule_fails_the_workflow(local_swf):
    # b_tasks' type is deprecated: SWF refuses to schedule it.
    decider.DeciderWorker(example.serial)  # registers the types
    connection.connect().deprecate_activity_type(
        example.serial.domain, 'boto_tutorial_b_tasks', '1.0')
    run = testing.run_flow(example.serial, timeout=20)

    assert run.status == 'FAILED'
    [refused] = [
        e['scheduleActivityTaskFailedEventAttributes']
        for e in run.events_of_type('ScheduleActivityTaskFailed')]
    assert refused['activityId'] == 'boto_tutorial_b_tasks-1'
    assert refused['cause'] == 'ACTIVITY_TYPE_DEPRECATED'
    # The reason names the activity and SWF's cause; nothing else ran.
    assert 'boto_tutorial_b_tasks' in run.reason
    assert 'ACTIVITY_TYPE_DEPRECATED' in run.reason
    assert not scheduled(run, 'boto_tutorial_c_tasks')


def run_timed_out_once(flow, timeout_type):
    """Run a flow of tests.flows.hangs_once, and check its activity was
    timed out once, by timeout_type, then retried under the same id."""
    del flow.attempts[:]
    flow.release.clear()
    try:
        run = testing.run_flow(flow, threads_per_activity=2)
    finally:
        flow.release.set()

    assert run.status == 'COMPLETED'
    assert run.context['attempt'] == 'second'
    timed_out = run.events_of_type('ActivityTaskTimedOut')
    assert [e['activityTaskTimedOutEventAttributes']['timeoutType']
            for e in timed_out] == [timeout_type]
    activity_id = flow.name + '_work-1'
    attempts = scheduled(run, flow.name + '_work')
    assert [e['activityTaskScheduledEventAttributes']['activityId']
            for e in attempts] == [activity_id, activity_id]
    assert run.events.index(timed_out[0]) < run.events.index(attempts[1])
    assert not run.events_of_type('ScheduleActivityTaskFailed')


def test_heartbeat_timeout_is_retried(local_swf):
    run_timed_out_once(heartbeat, 'HEARTBEAT')


def test_start_to_close_timeout_is_retried(local_swf):
    # The hung attempt needs no heartbeat: only start-to-close times it out.
    run_timed_out_once(start_to_close, 'START_TO_CLOSE')
