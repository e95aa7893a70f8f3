"""garcon.flow: loading flows and checking their definition."""

import pytest

from garcon import activity
from garcon import flow
from garcon import runner

from tests.helpers import make_flow
from tests.helpers import noop


def create(name='flow'):
    return activity.create('dev', name)


def test_load_a_module_a_file_and_an_attribute(tmp_path):
    assert flow.load('example.serial').name == 'boto_tutorial'
    assert flow.load('example.custom_decider:flow').name == 'coffee_shop'
    path = tmp_path / 'my_flow.py'
    path.write_text(
        'from garcon import activity, runner\n'
        'domain = "dev"\nname = "from_file"\n'
        'one = activity.create(domain, name)(\n'
        '    name="one", run=runner.Sync(lambda context, activity: None))\n')
    loaded = flow.load(str(path))
    assert loaded.name == 'from_file'
    assert flow.load(str(path) + ':one').name == 'from_file_one'


@pytest.mark.parametrize('spec, message', [
    ('no_such.flow_module', "No flow module named 'no_such.flow_module'"),
    ('example.serial:missing', 'has no attribute'),
    ('missing/flow.py', "No flow file 'missing/flow.py'"),
    ('', 'No flow given'),
])
def test_load_errors_are_clear(spec, message):
    with pytest.raises(flow.FlowError, match=message):
        flow.load(spec)


def test_an_import_error_inside_the_flow_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / 'broken_flow.py').write_text('import not_installed_package\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match='not_installed_package'):
        flow.load('broken_flow')


def test_validate_returns_the_activities():
    one = create()(name='one', run=runner.Sync(noop))
    two = create()(name='two', requires=[one], run=runner.Sync(noop))
    assert flow.validate(make_flow(one=one, two=two)) == [one, two]


@pytest.mark.parametrize('attribute', ['domain', 'name'])
def test_a_flow_needs_a_domain_and_a_name(attribute):
    module = make_flow()
    delattr(module, attribute)
    with pytest.raises(flow.FlowError, match='has no `{}`'.format(attribute)):
        flow.validate(module)


def test_duplicate_activity_names_are_refused():
    first = create()(name='same', run=runner.Sync(noop))
    second = create()(name='same', run=runner.Sync(noop))
    with pytest.raises(flow.FlowError, match="named 'flow_same'"):
        flow.validate(make_flow(first=first, second=second))


def test_a_requirement_outside_the_flow_is_refused():
    outsider = create('other')(name='outsider', run=runner.Sync(noop))
    inside = create()(name='inside', requires=[outsider],
                      run=runner.Sync(noop))
    with pytest.raises(flow.FlowError,
                       match='flow_inside requires other_outsider'):
        flow.validate(make_flow(inside=inside))


def test_a_cycle_is_refused_and_named():
    one = create()(name='one', run=runner.Sync(noop))
    two = create()(name='two', requires=[one], run=runner.Sync(noop))
    one.requires.append(two)
    with pytest.raises(flow.FlowError, match='cycle: flow_one -> flow_two '
                       '-> flow_one|cycle: flow_two -> flow_one -> flow_two'):
        flow.validate(make_flow(one=one, two=two))


def test_a_negative_retry_set_after_create_is_refused():
    one = create()(name='one', run=runner.Sync(noop))
    one.retry = -1
    with pytest.raises(flow.FlowError, match='flow_one: `retry`'):
        flow.validate(make_flow(one=one))


@pytest.mark.parametrize('name, problem', [
    ('x' * 260, 'over SWF'),
    ('with:colon', 'character SWF refuses'),
    ('with/slash', 'character SWF refuses'),
    ('with|bar', 'character SWF refuses'),
    ('tab\there', 'character SWF refuses'),
])
def test_names_swf_refuses(name, problem):
    one = create()(name=name, run=runner.Sync(noop))
    with pytest.raises(flow.FlowError, match=problem):
        flow.validate(make_flow(one=one))


def test_the_decider_validates_the_flow():
    from garcon import decider
    one = create()(name='one', run=runner.Sync(noop))
    two = create()(name='two', requires=[one], run=runner.Sync(noop))
    one.requires.append(two)
    with pytest.raises(flow.FlowError, match='cycle'):
        decider.DeciderWorker(make_flow(one=one, two=two), register=False)
