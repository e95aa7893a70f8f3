"""Show an execution as it runs, and tables of its activities.

:func:`watch` reads the real history of an execution every fraction of a
second (the history is the source of truth, not hooks in the workers),
turns the new events into changes with :class:`~garcon.timeline.Timeline`
and hands them to a :class:`Display`:

* on a terminal, the state words are coloured and a bottom line shows a
  progress bar for each activity fanned out by generators;
* anywhere else (a pipe, a file, CI logs), plain lines only.

:func:`format_table` and :func:`summary_table` render the tables of
``garcon run``, ``garcon status`` and ``garcon history``.
"""

import os
import shutil
import time

from garcon import timeline

#: Seconds between two reads of the history by :func:`watch`.
WATCH_INTERVAL = 0.3

#: Characters of a fan-out's progress bar.
BAR_WIDTH = 20

_RESET = '\x1b[0m'
_CLEAR_LINE = '\r\x1b[K'

# ANSI colour of each state word on a terminal.
_COLOURS = {
    timeline.SCHEDULED: '\x1b[2m',
    timeline.STARTED: '\x1b[36m',
    timeline.RUNNING: '\x1b[36m',
    timeline.COMPLETED: '\x1b[32m',
    timeline.RETRIED: '\x1b[33m',
    timeline.FAILED: '\x1b[31m',
    timeline.TIMED_OUT: '\x1b[31m',
    timeline.SCHEDULE_FAILED: '\x1b[31m',
    timeline.CANCELED: '\x1b[35m',
    'COMPLETED': '\x1b[1;32m',
    'FAILED': '\x1b[1;31m',
    'TIMED_OUT': '\x1b[1;31m',
    'CANCELED': '\x1b[1;35m',
    'TERMINATED': '\x1b[1;31m',
}

SUMMARY_HEADERS = ('activity', 'state', 'instances', 'attempts', 'duration')


def is_terminal(stream):
    """Tell whether a stream is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_colour(stream):
    """Tell whether to colour what goes to a stream.

    Only on a terminal, and not when ``NO_COLOR`` is set or ``TERM`` is
    ``dumb`` (the usual conventions).
    """
    return (is_terminal(stream) and not os.environ.get('NO_COLOR')
            and os.environ.get('TERM') != 'dumb')


def format_duration(seconds):
    """Write a duration for people: ``0.42s``, ``12.3s``, ``2m05s``,
    ``1h02m``."""
    if seconds is None:
        return '-'
    if seconds < 10:
        return '{:.2f}s'.format(seconds)
    if seconds < 60:
        return '{:.1f}s'.format(seconds)
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return '{}m{:02d}s'.format(minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return '{}h{:02d}m'.format(hours, minutes)


def format_table(headers, rows):
    """Lay rows out in aligned columns; numbers are right-aligned.

    Args:
        headers (tuple): the column titles.
        rows (list): tuples of values (anything ``str`` can write).

    Returns:
        str: the table, one line per row after the header line.
    """
    cells = [[str(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[column]) for row in cells])
              for column, header in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(row[column], int)
                                  for row in rows)
               for column in range(len(headers))]

    def line(values):
        padded = [value.rjust(width) if right else value.ljust(width)
                  for value, width, right in zip(values, widths, numeric)]
        return '  '.join(padded).rstrip()

    return '\n'.join([line(headers)] + [line(row) for row in cells])


def summary_rows(execution_timeline):
    """Return the rows of an execution's activity table: activity, state,
    instances, attempts, duration."""
    return [
        (row.activity, row.state, row.instances, row.attempts,
         format_duration(row.duration))
        for row in execution_timeline.summary()]


def summary_table(execution_timeline):
    """Return the activity table of an execution (a note if it has none)."""
    rows = summary_rows(execution_timeline)
    if not rows:
        return '(no activity scheduled)'
    return format_table(SUMMARY_HEADERS, rows)


def describe_change(change, execution_timeline):
    """Return the words after an instance's label for a change: its state,
    and the reason, attempt number, duration or fan-out count that go
    with it."""
    words = change.state
    attempt = change.attempt
    if change.state == timeline.RETRIED:
        words += ' (attempt {})'.format(attempt.number)
    if change.state == timeline.COMPLETED:
        words += ' in {}'.format(format_duration(attempt.duration))
        done, total = execution_timeline.progress(change.instance.activity)
        if total > 1:
            words += ' ({}/{})'.format(done, total)
    if change.detail:
        words += ': {}'.format(change.detail)
    return words


def format_change(change, execution_timeline, label_width=24, paint=None):
    """Return the line of one change: time since the start of the
    execution, instance, state and details.

    Args:
        change (Change): the change.
        execution_timeline (Timeline): the timeline it belongs to.
        label_width (int): the width of the instance column.
        paint (callable): ``paint(text, state)`` to colour the state.
    """
    started = execution_timeline.started_at or change.timestamp
    elapsed = '{:>7}'.format(format_duration(change.timestamp - started))
    label = change.instance.label.ljust(label_width)
    words = describe_change(change, execution_timeline)
    if paint:
        words = paint(words, change.state)
    return '{}  {}  {}'.format(elapsed, label, words).rstrip()


def progress_bar(done, total, width=BAR_WIDTH):
    """Return a text bar such as ``[########------------]``."""
    filled = int(width * done / total) if total else 0
    return '[{}{}]'.format('#' * filled, '-' * (width - filled))


def fan_outs(execution_timeline):
    """Return ``(activity, done, total)`` for each activity with more than
    one instance that has not completed them all."""
    result = []
    for activity in execution_timeline.activities():
        done, total = execution_timeline.progress(activity)
        if total > 1 and done < total:
            result.append((activity, done, total))
    return result


class Display(object):
    """Where the live progress of an execution is written.

    Args:
        stream (file): where to write (stderr for ``garcon run``).
        interactive (bool): draw colours and a live bar line; by default,
            when ``stream`` is a terminal.
        label_width (int): the width of the instance label column.
    """

    def __init__(self, stream, interactive=None, label_width=24):
        self.stream = stream
        self.interactive = (is_terminal(stream) if interactive is None
                            else interactive)
        self.colour = self.interactive and wants_colour(stream)
        self.label_width = label_width
        self._bar_line = ''

    def paint(self, text, state):
        """Colour a state word (on a colour terminal only)."""
        if not self.colour or state not in _COLOURS:
            return text
        return '{}{}{}'.format(_COLOURS[state], text, _RESET)

    def line(self, text):
        """Write one line, above the bar line if there is one."""
        self._clear_bar()
        self.stream.write(text + '\n')
        self._draw_bar()
        self.stream.flush()

    def write(self, text):
        """Write other output (what tasks print), above the bar line.

        A Display can stand in for ``sys.stdout`` while tasks run.
        """
        if not text:
            return 0
        self._clear_bar()
        self.stream.write(text)
        if text.endswith('\n'):
            self._draw_bar()
        self.stream.flush()
        return len(text)

    def flush(self):
        """Flush the stream."""
        self.stream.flush()

    def isatty(self):
        """Tell whether this writes to a terminal."""
        return self.interactive

    def show(self, change, execution_timeline):
        """Write the line of a change.

        Args:
            change (Change): the change, just read.
            execution_timeline (Timeline): the timeline, read up to the
                change's event (so that counts are those of that moment).
        """
        self.line(self.format_change(change, execution_timeline))

    def format_change(self, change, execution_timeline):
        """Return the line of one change (see :func:`format_change`).

        The label column widens for a longer label, and stays wide.
        """
        self.label_width = max(self.label_width, len(change.instance.label))
        return format_change(change, execution_timeline, self.label_width,
                             self.paint)

    def set_bars(self, bars):
        """Show a progress bar per fan-out (on a terminal only).

        Args:
            bars (list): ``(activity, done, total)`` tuples.
        """
        if not self.interactive:
            return
        text = '  '.join(
            '{} {} {}/{}'.format(activity, progress_bar(done, total), done,
                                 total)
            for activity, done, total in bars)
        columns = shutil.get_terminal_size().columns
        text = text[:max(columns - 1, 0)]
        if text == self._bar_line:
            return
        self._clear_bar()
        self._bar_line = text
        self._draw_bar()
        self.stream.flush()

    def finish(self):
        """Remove the bar line."""
        self._clear_bar()
        self._bar_line = ''
        self.stream.flush()

    def _clear_bar(self):
        if self.interactive and self._bar_line:
            self.stream.write(_CLEAR_LINE)

    def _draw_bar(self):
        if self.interactive and self._bar_line:
            self.stream.write(self._bar_line)


class WatchTimeout(Exception):
    """The execution did not close within the time given to watch it."""


def watch(client, execution, display, timeout=None,
          interval=WATCH_INTERVAL):
    """Show an execution's progress until it closes.

    Args:
        client (Client): the client to read the history with.
        execution (Execution): the execution.
        display (Display): where the changes go.
        timeout (float): seconds to watch at most (no limit by default).
        interval (float): seconds between two reads of the history.

    Returns:
        Timeline: the timeline of the closed execution.

    Raises:
        WatchTimeout: it is still open after ``timeout`` seconds.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    execution_timeline = timeline.Timeline()
    while True:
        read(client.history(execution), execution_timeline, display.show)
        display.set_bars(fan_outs(execution_timeline))
        if execution_timeline.closed:
            display.finish()
            return execution_timeline
        if deadline is not None and time.monotonic() > deadline:
            display.finish()
            raise WatchTimeout(
                'Execution {} is still open after {} seconds.'.format(
                    execution.workflow_id, timeout))
        time.sleep(interval)


def read(events, execution_timeline, show):
    """Read new events into a timeline, one at a time, calling
    ``show(change, execution_timeline)`` for each change right after its
    event (so that fan-out counts are those of that moment)."""
    for event in events:
        for change in execution_timeline.update([event]):
            show(change, execution_timeline)


def close_line(execution_timeline, paint=None):
    """Return the line that tells how an execution closed.

    Args:
        execution_timeline (Timeline): the closed execution.
        paint (callable): ``paint(text, status)`` to colour the status.
    """
    status = execution_timeline.close_status or 'OPEN'
    text = paint(status, status) if paint else status
    line = 'Execution {} in {}'.format(
        text, format_duration(execution_timeline.duration))
    if execution_timeline.close_reason:
        line += ': {}'.format(execution_timeline.close_reason)
    return line


def history_lines(events):
    """Return an execution's history as lines of changes, for ``garcon
    history``: one line per activity change, then the close line if the
    execution closed.

    Args:
        events (list): the events.
    """
    labels = [instance.label
              for instance in timeline.Timeline(events).instances.values()]
    width = max([len(label) for label in labels] + [8])
    lines = []
    execution_timeline = timeline.Timeline()
    read(events, execution_timeline, lambda change, current: lines.append(
        format_change(change, current, width)))
    if execution_timeline.closed:
        lines.append(close_line(execution_timeline))
    return lines
