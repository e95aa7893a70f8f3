"""The code sample of Garcon's documentation: four activities.

activity_1 runs first; activity_2 and activity_3 then run in parallel; the
workflow ends once activity_4, which requires both of them, has completed.
"""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'code_sample'
create = activity.create(domain, name)

test_activity_1 = create(
    name='activity_1',
    tasks=runner.Sync(
        lambda activity, context: print('activity_1')))

test_activity_2 = create(
    name='activity_2',
    requires=[test_activity_1],
    run=runner.Async(
        lambda activity, context: print('activity_2_task_1'),
        lambda activity, context: print('activity_2_task_2')))

test_activity_3 = create(
    name='activity_3',
    requires=[test_activity_1],
    run=runner.Sync(
        lambda activity, context: print('activity_3')))

test_activity_4 = create(
    name='activity_4',
    requires=[test_activity_3, test_activity_2],
    run=runner.Sync(
        lambda activity, context: print('activity_4')))
