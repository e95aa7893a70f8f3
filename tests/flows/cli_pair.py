"""Two activities side by side, for the CLI's decider shutdown test.

``quick`` and ``slow`` have no requirement: the first decision schedules
both. The test runs a worker for ``quick`` only, so ``slow`` stays open.
"""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'cli_pair'
create = activity.create(domain, name)

quick = create(
    name='quick', run=runner.Sync(lambda context, activity: {'quick': 1}))

slow = create(
    name='slow', run=runner.Sync(lambda context, activity: {'slow': 1}))
