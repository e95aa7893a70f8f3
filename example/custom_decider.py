"""A custom decider: a coffee shop.

The flow is an object (``example.custom_decider:flow``) whose ``decider``
drives the execution: it takes the order, brews the espresso, steams milk
only when the order asks for it, then serves. ``schedule`` returns the state
of an activity; reading the result of one that has not completed ends the
decision, and the next decision picks up from there.

Start it with an input such as ``{"drink": "latte", "milk": true}``.
"""

from garcon import activity
from garcon import runner
from garcon import task


@task.decorate(timeout=60)
def take_order(activity, drink, milk):
    return {'order.drink': drink or 'espresso', 'order.milk': bool(milk)}


@task.decorate(timeout=60)
def brew_espresso(activity, drink, shots):
    return {'espresso.shots': shots or 1, 'espresso.for': drink}


@task.decorate(timeout=60)
def steam_milk(activity, drink):
    return {'milk.steamed_for': drink}


@task.decorate(timeout=60)
def serve(activity, drink, shots, milk):
    description = '{} with {} shot(s){}'.format(
        drink, shots, ' and steamed milk' if milk else '')
    return {'served': description}


class CoffeeShop(object):
    """A flow whose activities are attributes of an object."""

    domain = 'dev'
    name = 'coffee_shop'

    def __init__(self):
        create = activity.create(self.domain, self.name)
        self.order = create(
            name='take_order',
            run=runner.Sync(take_order.fill(drink='drink', milk='milk')))
        self.espresso = create(
            name='brew_espresso',
            run=runner.Sync(brew_espresso.fill(
                drink='order.drink', shots='shots')))
        self.milk = create(
            name='steam_milk',
            run=runner.Sync(steam_milk.fill(drink='order.drink')))
        self.serve = create(
            name='serve',
            run=runner.Sync(serve.fill(
                drink='order.drink', shots='espresso.shots',
                milk='milk.steamed_for')))

    def decider(self, schedule, context=None):
        context = context or {}
        order = schedule('order', self.order)
        ready = [schedule(
            'espresso', self.espresso, requires=[order],
            input={'shots': context.get('shots', 1)})]
        if context.get('milk'):
            ready.append(schedule('milk', self.milk, requires=[order]))
        schedule('serve', self.serve, requires=ready)


flow = CoffeeShop()
