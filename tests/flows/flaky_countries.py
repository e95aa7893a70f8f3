"""Generators with deterministic failures.

Country ``n`` fails its first ``failures_of(n)`` attempts, so the test knows
exactly how many failures each instance sees. ``retry`` is 3.
"""

import threading

from garcon import activity
from garcon import runner
from garcon import task

domain = 'dev'
name = 'flaky_countries'
create = activity.create(domain, name)

COUNTRIES = 4

# Attempts per country, counted by the workers (which run in the test's
# process). reset() before each run.
attempts = {}
lock = threading.Lock()
extra_failures = {}


def reset(extra=None):
    attempts.clear()
    extra_failures.clear()
    extra_failures.update(extra or {})


def failures_of(country_id):
    return country_id + extra_failures.get(country_id, 0)


def countries(context):
    for country_id in range(context.get('countries', COUNTRIES)):
        yield {'generator.country_id': country_id}


@task.decorate(timeout=30)
def fetch_country(activity, country_id):
    with lock:
        attempts[country_id] = attempts.get(country_id, 0) + 1
        attempt = attempts[country_id]
    if attempt <= failures_of(country_id):
        raise RuntimeError('country {} failed attempt {}'.format(
            country_id, attempt))
    return {'country.{}'.format(country_id): attempt}


start = create(
    name='start',
    run=runner.Sync(lambda context, activity: {'started': True}))

fetch = create(
    name='fetch',
    requires=[start],
    generators=[countries],
    retry=3,
    run=runner.Sync(fetch_country.fill(country_id='generator.country_id')))

finish = create(
    name='finish',
    requires=[fetch],
    run=runner.Sync(lambda context, activity: {
        'total': sum(v for k, v in context.items()
                     if k.startswith('country.'))}))
