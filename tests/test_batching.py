"""garcon.batching: empty answers sent once their window has passed."""

import threading
import time

from garcon import batching


class Recorder(object):
    def __init__(self, fail=False):
        self.sent = []
        self.errors = []
        self.fail = fail
        self.event = threading.Event()

    def send(self, task_token, decisions):
        self.sent.append((task_token, decisions, time.monotonic()))
        self.event.set()
        if self.fail:
            raise RuntimeError('refused')

    def on_error(self, error):
        self.errors.append(error)


def test_an_answer_is_sent_after_its_window():
    recorder = Recorder()
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=0.05)
    deferred_at = time.monotonic()
    answers.defer('token-1', ['decisions'])
    assert recorder.sent == []
    assert recorder.event.wait(5)
    [(token, decisions, sent_at)] = recorder.sent
    assert (token, decisions) == ('token-1', ['decisions'])
    assert sent_at - deferred_at >= 0.05
    assert recorder.errors == []


def test_answers_are_sent_in_order_and_the_thread_ends():
    recorder = Recorder()
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=0.01)
    for number in range(3):
        answers.defer('token-{}'.format(number), [])
    deadline = time.monotonic() + 5
    while (answers._thread is not None or len(answers)) and (
            time.monotonic() < deadline):
        time.sleep(0.01)
    assert [sent[0] for sent in recorder.sent] == [
        'token-0', 'token-1', 'token-2']
    assert answers._thread is None
    # A later answer starts the thread again.
    recorder.event.clear()
    answers.defer('token-3', [])
    assert recorder.event.wait(5)
    assert recorder.sent[-1][0] == 'token-3'


def test_flush_sends_every_waiting_answer_now():
    recorder = Recorder()
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=60)
    answers.defer('token-1', [])
    answers.defer('token-2', [])
    assert len(answers) == 2
    answers.flush()
    assert [sent[0] for sent in recorder.sent] == ['token-1', 'token-2']
    assert len(answers) == 0


def test_flush_all_reaches_every_instance():
    recorder = Recorder()
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=60)
    answers.defer('token-1', [])
    batching.flush_all()
    assert [sent[0] for sent in recorder.sent] == ['token-1']


def test_a_refused_answer_goes_to_on_error():
    recorder = Recorder(fail=True)
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=60)
    answers.defer('token-1', [])
    answers.defer('token-2', [])
    answers.flush()
    assert [sent[0] for sent in recorder.sent] == ['token-1', 'token-2']
    assert [str(error) for error in recorder.errors] == ['refused'] * 2


def test_the_window_grows_with_the_open_activities():
    window = batching.window_for
    assert window(0.1, 1) == 0.1
    assert window(0.1, 100) == 0.1
    assert window(0.1, 250) == 0.25
    assert abs(window(0.1, 1000) - 1.0) < 1e-9
    assert abs(window(0.1, 5000) - 1.0) < 1e-9
    assert window(0, 1000) == 0


def test_the_window_keeps_within_a_quarter_of_the_task_timeout():
    assert batching.window_for(0.1, 1000, task_timeout=2) == 0.5
    assert batching.window_for(0.1, 10, task_timeout=2) == 0.1
    assert batching.window_for(0.1, 1000, task_timeout=None) > 0.5


def test_answers_are_sent_when_due_whatever_their_order():
    recorder = Recorder()
    answers = batching.DeferredAnswers(
        recorder.send, recorder.on_error, window=60)
    answers.defer('late', [], window=0.2)
    answers.defer('soon', [], window=0.01)
    answers.defer('default', [])
    deadline = time.monotonic() + 5
    while len(recorder.sent) < 2 and time.monotonic() < deadline:
        recorder.event.wait(0.05)
    assert [sent[0] for sent in recorder.sent] == ['soon', 'late']
    answers.flush()
    assert [sent[0] for sent in recorder.sent] == ['soon', 'late', 'default']
