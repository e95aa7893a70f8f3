"""Flows used by the end-to-end tests."""

#: Seconds a hung first attempt waits at most for the retry.
HANG_LIMIT = 10


def hangs_once(attempts, release):
    """Return a task whose first attempt hangs until the retry runs.

    The first attempt neither heartbeats nor answers until the second one
    sets ``release``: SWF schedules the retry only once it timed the first
    attempt out, whose answer then comes too late. The workers stop only
    once every task has returned: the hang ends as soon as it can.

    Args:
        attempts (list): gets an item per attempt.
        release (threading.Event): set by the second attempt.
    """
    def hang_then_finish(context, activity):
        attempts.append(1)
        if len(attempts) == 1:
            release.wait(HANG_LIMIT)
            return {'attempt': 'first'}
        release.set()
        return {'attempt': 'second'}
    return hang_then_finish
