"""Decision batching: empty answers to decision tasks, sent a moment later.

SWF gives a decider one decision task per batch of new events: an event
that arrives while no decision task is waiting schedules one, and the
events that arrive while a decision task is being decided wait for the
next. A fast decider therefore gets a decision task for nearly every
activity that completes, and during a fan-out most of those decisions are
empty: an instance completed, the others still run, nothing new can start.

Each decision task costs a poll, a history page and an answer (SWF bills
it, and throttles the calls). When a decision has nothing to send and
activities are still open, nothing is urgent: its answer can wait a little,
and the completions that arrive meanwhile are all decided by the next
decision task instead of one each. :class:`DeferredAnswers` holds such
answers for a short window and sends them from a thread of its own, so the
decider goes on polling (other executions' decision tasks are not held
up).

The window grows with the activities open (:func:`window_for`): with a
hundred or fewer it is the decider's ``batch_window``; beyond, one
``batch_window`` per hundred, up to ten at SWF's limit of 1,000 open
activities. The more activities run, the more often they complete and the
less any one completion changes what can start: a fan-out of 1,000 is
decided a few times a second instead of ten, and as it drains the window
shrinks back, so the decision after its last completion is not held long.

What it costs: a completion that arrives while an answer waits is decided
up to one window later (a failed activity is retried that much later).
Decisions that schedule, complete or fail anything are never held, and no
answer waits more than a quarter of its decision task's timeout. Answers
still waiting when the process exits normally are sent then; a process
that dies leaves them to SWF's decision task timeout, after which SWF
gives the decision task to another decider, as for any decider that dies
mid-decision.
"""

import atexit
import heapq
import itertools
import logging
import threading
import time
import weakref

from garcon import log

logger = logging.getLogger(log.LOGGER_PREFIX)

#: Seconds an empty answer may wait (see :attr:`DeferredAnswers.window`).
#: Small next to SWF's shortest decision task timeout (1 s) and to the
#: round trips of a decision on AWS; long enough to gather the completions
#: of a busy fan-out.
DEFAULT_WINDOW = 0.1

#: Open activities per ``batch_window`` of wait (see :func:`window_for`).
ACTIVITIES_PER_WINDOW = 100

#: The most ``batch_window`` an answer waits: reached at SWF's limit of
#: 1,000 open activities.
MAX_WINDOWS = 10

#: The share of its decision task's timeout an answer may wait at most.
TIMEOUT_SHARE = 0.25

_ALL = weakref.WeakSet()


def window_for(batch_window, open_activities, task_timeout=None):
    """Return how long an empty answer may wait.

    Args:
        batch_window (float): the decider's window, in seconds.
        open_activities (int): the activity tasks open in the execution.
        task_timeout (float): the decision task's start-to-close timeout
            in seconds (None when unknown).

    Returns:
        float: seconds; ``batch_window`` for up to
        :data:`ACTIVITIES_PER_WINDOW` open activities, one more
        ``batch_window`` per :data:`ACTIVITIES_PER_WINDOW` beyond, at most
        :data:`MAX_WINDOWS` of them, and never more than
        :data:`TIMEOUT_SHARE` of the decision task's timeout.
    """
    windows = min(MAX_WINDOWS, max(
        1.0, open_activities / float(ACTIVITIES_PER_WINDOW)))
    window = batch_window * windows
    if task_timeout is not None:
        window = min(window, task_timeout * TIMEOUT_SHARE)
    return window


class DeferredAnswers(object):
    """Answers to decision tasks that may wait, sent once their window ends.

    Args:
        send (callable): ``send(task_token, decisions)`` answers a decision
            task; it is called from this object's thread.
        on_error (callable): called with the exception when an answer
            fails (SWF refused it, say); the answer is dropped, as a failed
            answer of the decider's own loop would be.
        window (float): seconds an answer waits, unless :meth:`defer` is
            given its own.
    """

    def __init__(self, send, on_error, window=DEFAULT_WINDOW):
        self.send = send
        self.on_error = on_error
        self.window = window
        # (due, order, task token, decisions), a heap: the soonest due
        # first, and answers due together in the order they came.
        self._waiting = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._thread = None
        _ALL.add(self)

    def __len__(self):
        with self._condition:
            return len(self._waiting)

    def defer(self, task_token, decisions, window=None):
        """Send this answer once the window has passed.

        Args:
            task_token (str): the decision task.
            decisions (Layer1Decisions): its decisions.
            window (float): seconds it waits (by default :attr:`window`).
        """
        due = time.monotonic() + (self.window if window is None else window)
        with self._condition:
            heapq.heappush(self._waiting, (
                due, next(self._order), task_token, decisions))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._send_when_due, name='garcon-answers',
                    daemon=True)
                self._thread.start()
            self._condition.notify()

    def flush(self):
        """Send every waiting answer now, in the calling thread."""
        while True:
            with self._condition:
                if not self._waiting:
                    return
                _, _, task_token, decisions = heapq.heappop(self._waiting)
            self._answer(task_token, decisions)

    def _send_when_due(self):
        # The thread ends when nothing waits; the next defer starts another.
        while True:
            with self._condition:
                if not self._waiting:
                    self._thread = None
                    return
                delay = self._waiting[0][0] - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                _, _, task_token, decisions = heapq.heappop(self._waiting)
            self._answer(task_token, decisions)

    def _answer(self, task_token, decisions):
        try:
            self.send(task_token, decisions)
        except Exception as error:
            self.on_error(error)


@atexit.register
def flush_all():
    """Send every answer still waiting, in any :class:`DeferredAnswers`.

    Run at the exit of the interpreter: a waiting answer left unsent would
    hold its execution until SWF's decision task timeout.
    """
    for answers in list(_ALL):
        answers.flush()
