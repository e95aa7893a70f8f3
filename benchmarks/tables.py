"""Turn the measures of :mod:`benchmarks.run` into Markdown tables."""

import statistics


def best_cpu_ms(measured):
    """Best CPU time of the runs of one decision, in milliseconds: on a
    shared machine, the run least slowed down by the rest."""
    return 1000 * min(cpu for _, cpu in measured['runs'])


def median_cpu_ms(measured):
    """Median CPU time of the runs of one decision, in milliseconds."""
    return 1000 * statistics.median(cpu for _, cpu in measured['runs'])


def best_and_median(measured):
    return '{:.1f} ({:.1f})'.format(
        best_cpu_ms(measured), median_cpu_ms(measured))


def ratio(slow, fast):
    return '{:.1f}x'.format(slow / fast) if fast else '-'


def table(headers, rows):
    lines = ['| ' + ' | '.join(headers) + ' |',
             '|' + '|'.join('---:' for _ in headers) + '|']
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |'
              for row in rows]
    return '\n'.join(lines)


def decision_tables(results):
    parts = []
    for flow_name in ('fanout', 'chained'):
        rows = []
        for row in results:
            if row['flow'] != flow_name:
                continue
            reference = best_cpu_ms(row['reference'])
            cold, warm = best_cpu_ms(row['cold']), best_cpu_ms(row['warm'])
            rows.append([
                '{:,}'.format(row['events']), '{:,}'.format(row['n']),
                '{:,} / {:,}'.format(len(row['reference']['decisions']),
                                     len(row['cold']['decisions'])),
                best_and_median(row['reference']),
                best_and_median(row['cold']), ratio(reference, cold),
                best_and_median(row['warm']), ratio(reference, warm)])
        parts.append(
            'One decision, {} flow (CPU ms per decision: best run '
            '(median))\n\n'
            .format(flow_name) + table(
                         ['events', 'N', 'decisions sent (0.4.1 / this)',
                          'Garcon 0.4.1', 'this, new decider', 'x',
                          'this, warm decider', 'x'], rows))
    return '\n\n'.join(parts)


def floor_table(floor, decisions=None):
    """The floor of a new decider's decision, next to Garcon 0.4.1's
    decision over the same history (when measured)."""
    reference = [best_cpu_ms(row['reference']) for row in decisions or ()
                 if row['flow'] == 'fanout'
                 and row['events'] == floor['events']]
    total = floor['total_ms']
    cells = ['{:.1f}'.format(floor[key]) for key in (
        'pair_ms', 'decode_ms', 'merge_ms', 'generate_ms', 'ids_ms')]
    cells += ['**{:.1f}**'.format(total),
              ratio(reference[0], total) if reference else '-']
    return ('What any decider must do for a first decision over the '
            'fan-out flow\'s {:,} events ({:,} instances), each part '
            'alone (CPU ms, best of 15)\n\n'.format(
                floor['events'], floor['instances'])
            + table(['pair completions', 'decode results', 'merge them',
                     'run the generator', 'SHA-1 ids', 'total',
                     'Garcon 0.4.1 / total'], [cells]))


def memory_table(results):
    rows = [[row['flow'], '{:,}'.format(row['events']),
             '{:.1f}'.format(row['reference'] / 1e6),
             '{:.1f}'.format(row['cold'] / 1e6),
             '{:.1f}'.format(row['warm'] / 1e6)] for row in results]
    return 'Peak memory of one decision (tracemalloc, MB)\n\n' + table(
        ['flow', 'events', 'Garcon 0.4.1', 'this, new decider',
         'this, warm decider'], rows)


def workflow_table(results):
    rows = []
    by_n = {}
    for row in results:
        by_n.setdefault(row['n'], {})[row['library']] = row
        per_decision = 1000 * row['cpu_seconds'] / max(
            1, row['decision_tasks'])
        rows.append([
            '{:,}'.format(row['n']), row['library'],
            row['decision_tasks'], '{:.2f}'.format(row['cpu_seconds']),
            '{:.2f}'.format(per_decision),
            '{:.1f}'.format(row['wall_seconds']),
            '{:.1f}'.format(row['fan_out_seconds'] or 0),
            '{:,}'.format(row['events']),
            '{:.1f}'.format(row['server_cpu_seconds']), row['status']])
    tries = len(results[0].get('cpu_runs', [None])) if results else 1
    text = ('Whole workflow on the local SWF (fan-out flow; of {} runs '
            'each, the one with the least decider CPU)\n\n'.format(tries)
            + table(['N', 'decider', 'decision tasks', 'decider CPU s',
                     'CPU ms per decision', 'wall s', 'fan-out s', 'events',
                     'server CPU s', 'status'], rows))
    notes = []
    for n, pair in sorted(by_n.items()):
        if len(pair) != 2:
            continue
        reference, this = pair['Garcon 0.4.1'], pair['this project']
        notes.append(
            '- N = {:,}: decider CPU {} lower in total ({} between the '
            'medians), {} lower per decision task.'.format(
                n, ratio(reference['cpu_seconds'], this['cpu_seconds']),
                ratio(median_workflow_cpu(reference),
                      median_workflow_cpu(this)),
                ratio(reference['cpu_seconds'] / reference['decision_tasks'],
                      this['cpu_seconds'] / this['decision_tasks'])))
    return text + '\n\n' + '\n'.join(notes)


def median_workflow_cpu(row):
    """The median decider CPU, in seconds, of the runs of a workflow."""
    runs = row.get('cpu_runs') or [row['cpu_seconds']]
    return statistics.median(runs)


def throughput_table(results):
    rows = []
    for row in results['runs']:
        activities = row['fan_out_completed']
        rate = activities / row['fan_out_seconds']
        calls_per_second = row['trivial_calls_per_second']
        bound = calls_per_second / 2
        # Counted: the workers' calls (polls, empty ones too, heartbeats,
        # answers) and the decider's (polls, history pages, answers).
        calls = (sum(row['worker_calls'].values()) + row['polls']
                 + row['decision_tasks']) / activities
        rows.append([
            row['workers'], activities,
            '{:.1f}'.format(row['fan_out_seconds']), '{:.0f}'.format(rate),
            '{:.0f}'.format(calls_per_second),
            '{:.0f}'.format(bound), '**{:.0f} %**'.format(100 * rate / bound),
            row['decision_tasks'], '{:.1f}'.format(calls),
            '{:.0f} %'.format(100 * rate * calls / calls_per_second),
            '{:.1f}'.format(1000 * row['server_cpu_seconds'] / activities)])
    return ('Activity throughput on the local SWF (this project; best of '
            '{} runs, and the best trivial-call rate of those runs)\n\n'
            .format(results['runs'][0].get('tries', 1))
            + table(['workers', 'activities', 'seconds', 'activities/s',
                     'trivial calls/s, same clients',
                     'bound: calls/s / 2', 'of the bound',
                     'decision tasks', 'SWF calls per activity',
                     'server busy', 'server CPU ms per activity'], rows)
            + '\n\nServer CPU per call (one client, one call at a time)\n\n'
            + table(['call', 'server CPU ms', 'wall ms'], [
                [action, '{:.2f}'.format(cpu), '{:.2f}'.format(wall)]
                for action, cpu, wall in results['calls']]))


def machine_lines(results):
    machine = results['machine']
    return ('Machine: {cpu}, {cores} cores, Python {python}, {system}; '
            'load average {load:.1f} before, {load_after:.1f} after; '
            '{seconds:.0f} s in all.').format(
                seconds=results['seconds'], **machine)


def render(results):
    parts = [machine_lines(results)]
    if 'decision' in results:
        parts.append(decision_tables(results['decision']))
    if 'floor' in results:
        parts.append(floor_table(results['floor'], results.get('decision')))
    if 'memory' in results:
        parts.append(memory_table(results['memory']))
    if 'workflow' in results:
        parts.append(workflow_table(results['workflow']))
    if 'throughput' in results:
        parts.append(throughput_table(results['throughput']))
    return '\n\n'.join(parts)
