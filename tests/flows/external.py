"""A flow with an activity run outside Garcon."""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'external_flow'
create = activity.create(domain, name)

prepare = create(
    name='prepare',
    run=runner.Sync(lambda context, activity: {'prepared': 'yes'}))

foreign = create(
    name='foreign',
    requires=[prepare],
    external=True,
    timeout=30,
    heartbeat=10)

conclude = create(
    name='conclude',
    requires=[foreign],
    run=runner.Sync(lambda context, activity: {
        'concluded_with': context.get('foreign.answer')}))
