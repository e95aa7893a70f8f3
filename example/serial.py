"""Serial activity execution: a_tasks, then b_tasks, then c_tasks.

a_tasks returns a dictionary, which is merged into the execution context:
b_tasks and c_tasks see it in the context they receive.
"""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'boto_tutorial'
create = activity.create(domain, name)

a_tasks = create(
    name='a_tasks',
    run=runner.Sync(
        lambda context, activity: dict(
            result='Now don\u2019t be givin him sambuca!')))

b_tasks = create(
    name='b_tasks',
    requires=[a_tasks],
    run=runner.Sync(
        lambda context, activity: print(context)))

c_tasks = create(
    name='c_tasks',
    requires=[b_tasks],
    run=runner.Sync(
        lambda context, activity: print(context)))
