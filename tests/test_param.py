import pytest

from garcon import param


def test_param_reads_the_context():
    current = param.Param('user.id')
    assert current.get_value({'user.id': 42, 'other': 1}) == 42


def test_param_missing_key_is_none():
    assert param.Param('user.id').get_value({}) is None


def test_param_requirements():
    assert list(param.Param('user.id').requirements) == ['user.id']


def test_static_param():
    static = param.StaticParam({'fixed': True})
    assert static.get_value({}) == {'fixed': True}
    assert static.get_value({'fixed': False}) == {'fixed': True}
    assert list(static.requirements) == []


def test_params_are_base_params():
    assert isinstance(param.Param('a'), param.BaseParam)
    assert isinstance(param.StaticParam('a'), param.BaseParam)


def test_base_param_get_value_not_implemented():
    with pytest.raises(NotImplementedError):
        param.BaseParam().get_value({})
    assert list(param.BaseParam().requirements) == []


def test_parametrize_string():
    value = param.parametrize('context.key')
    assert isinstance(value, param.Param)
    assert value.get_value({'context.key': 'v'}) == 'v'


def test_parametrize_keeps_params():
    static = param.StaticParam(3)
    current = param.Param('x')
    assert param.parametrize(static) is static
    assert param.parametrize(current) is current


@pytest.mark.parametrize('value', [1, None, ['a'], {'a': 1}, object()])
def test_parametrize_unknown(value):
    with pytest.raises(param.UnknownParamException):
        param.parametrize(value)


def test_get_all_requirements():
    params = [
        param.Param('a'), param.StaticParam('ignored'), param.Param('b')]
    assert list(param.get_all_requirements(params)) == ['a', 'b']


def test_get_all_requirements_empty():
    assert list(param.get_all_requirements([])) == []
    assert list(param.get_all_requirements(
        [param.StaticParam(1), param.StaticParam(2)])) == []
