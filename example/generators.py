"""Generators: one instance of activity_2 per country.

A task that calls an API for each country of the world would have to start
over from the first country when one call fails. With a generator, each
country is an instance of its own, retried on its own: here each instance
fails one time in four, and is retried up to three times.
"""

import random

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'country_flow'
create = activity.create(domain, name)


def country_generator(context):
    # Few countries, so that the failures and retries are easy to see.
    total_countries = 6
    for country_id in range(1, total_countries):
        yield {'generator.country_id': country_id}


@task.decorate()
def unstable_country_task(activity, country_id):
    num = int(random.random() * 4)
    base = 'activity_2_country_id_{country_id}'.format(
        country_id=country_id)

    if num == 3:
        # Make the task randomly fail.
        print(base, 'has failed')
        raise Exception('fails')

    print(base, 'has succeeded')


test_activity_1 = create(
    name='activity_1',
    tasks=runner.Sync(
        lambda context, activity: print('activity_1')))

test_activity_2 = create(
    name='activity_2',
    requires=[test_activity_1],
    generators=[country_generator],
    retry=3,
    tasks=runner.Sync(
        unstable_country_task.fill(country_id='generator.country_id')))

test_activity_3 = create(
    name='activity_3',
    requires=[test_activity_2],
    tasks=runner.Sync(
        lambda context, activity: print('end of flow')))
