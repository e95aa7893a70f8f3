"""A flow that always fails, for the CLI tests.

``check`` completes; ``explode`` then raises on every attempt, is retried
once and fails the workflow.
"""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'cli_failing'
create = activity.create(domain, name)


def explode(context, activity):
    raise RuntimeError('the reactor is on fire')


check = create(
    name='check',
    run=runner.Sync(lambda context, activity: {'checked': True}))

boom = create(
    name='boom',
    requires=[check],
    retry=1,
    run=runner.Sync(explode))
