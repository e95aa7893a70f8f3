"""What any decider must do to make a first decision over a history, each
part timed alone: the floor under a new decider's decision.

Whatever a Python decider does with Garcon's identifiers, a decision over
an execution it has not seen must pair each completion with the
scheduling it closes, decode each result into the context, run the
generators and compute the SHA-1 id of each instance. This times those
parts with nothing around them (no states, no requirements, no decisions),
on the fan-out flow's history, in this interpreter: Garcon 0.4.1's
decision over the same history, divided by this floor, is the most a new
decider can be faster than Garcon 0.4.1.

Run as a script: ``floor.py TASK.json``; prints one JSON object of the
best CPU milliseconds of each part and their total.
"""

import argparse
import gc
import hashlib
import json
import sys
import time

#: Runs of each part; the best is kept (the machine is shared).
RUNS = 15


def pair(events):
    """Pair each completion with its scheduling: activity id -> completed."""
    scheduled, completed = {}, {}
    for event in events:
        event_type = event['eventType']
        if event_type == 'ActivityTaskScheduled':
            attributes = event['activityTaskScheduledEventAttributes']
            scheduled[event['eventId']] = attributes['activityId']
        elif event_type == 'ActivityTaskCompleted':
            attributes = event['activityTaskCompletedEventAttributes']
            completed[scheduled[attributes['scheduledEventId']]] = True
    return completed


def results_of(events):
    """Return the encoded results, in order (not timed)."""
    return [event['activityTaskCompletedEventAttributes'].get('result')
            for event in events
            if event['eventType'] == 'ActivityTaskCompleted']


def decode(results, scan=json.JSONDecoder().scan_once):
    """Decode each result, with the JSON scanner itself."""
    return [scan(text, 0)[0] for text in results if text]


def merge(decoded):
    """Merge the decoded results into one context."""
    context = {}
    for result in decoded:
        context.update(result)
    return context


def generate(n):
    """Run the fan-out flow's generator (see benchmarks.flows)."""
    return [{'generator.index': index} for index in range(n)]


def ids(outputs, prefix='fanout_fan_out-'):
    """Compute each instance id (garcon.utils.create_dictionary_key for a
    one-item dict, written out)."""
    sha1 = hashlib.sha1
    return [prefix + sha1("'{}':'{}';".format(*item).encode()).hexdigest()
            for values in outputs for item in values.items()]


def best_ms(function, *args):
    best = None
    for _ in range(RUNS):
        gc.collect()
        started = time.process_time()
        function(*args)
        elapsed = time.process_time() - started
        best = elapsed if best is None else min(best, elapsed)
    return best * 1000


def measure(task):
    events = task['events']
    results = results_of(events)
    decoded = decode(results)
    # The fan-out size is the workflow input's n (see benchmarks.flows).
    n = int(json.loads(
        events[0]['workflowExecutionStartedEventAttributes']['input'])['n'])
    outputs = generate(n)
    parts = {
        'pair_ms': best_ms(pair, events),
        'decode_ms': best_ms(decode, results),
        'merge_ms': best_ms(merge, decoded),
        'generate_ms': best_ms(generate, n),
        'ids_ms': best_ms(ids, outputs),
    }
    parts['total_ms'] = sum(parts.values())
    parts.update(events=len(events), instances=n)
    return parts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('task', help='a decision task (JSON), as written '
                                     'by benchmarks.run')
    args = parser.parse_args(argv)
    with open(args.task) as task_file:
        task = json.load(task_file)
    print(json.dumps(measure(task)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
