"""Invalid flows for the CLI's error tests.

``cycle`` is a flow object whose activities require each other: no
activity could ever start. The module itself has no ``domain``.
"""

from garcon import activity
from garcon import runner


class Cycle(object):
    """Two activities that require each other."""

    domain = 'dev'
    name = 'cli_cycle'

    def __init__(self):
        create = activity.create(self.domain, self.name)
        self.first = create(name='first', run=runner.Sync(lambda c, a: {}))
        self.second = create(
            name='second', requires=[self.first],
            run=runner.Sync(lambda c, a: {}))
        self.first.requires.append(self.second)


cycle = Cycle()
