"""Activities whose payloads break SWF's 32,768-character limits."""

from garcon import activity
from garcon import runner

domain = 'dev'
name = 'payloads'
create = activity.create(domain, name)

produce = create(
    name='produce',
    run=runner.Sync(lambda context, activity: {
        'blob': 'x' * context.get('result_size', 10)}))

consume = create(
    name='consume',
    requires=[produce],
    run=runner.Sync(lambda context, activity: {'consumed': True}))
