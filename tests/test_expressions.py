import pytest

from portal.expressions import ExpressionError, parse_expression


@pytest.mark.parametrize("source, values, current, expected", [
    ("${a} = 'yes'", {"a": "yes"}, None, True),
    ("${a} = 'yes'", {}, None, False),
    ("${a} != 'yes'", {}, None, True),
    (". >= 15 and . <= 99", {}, 15, True),
    (". >= 15 and . <= 99", {}, 100, False),
    ("selected(${s}, 'other')", {"s": ["other", "x"]}, None, True),
    ("selected(${s}, 'other')", {"s": ["x"]}, None, False),
    ("count-selected(${s}) <= 2", {"s": ["a", "b", "c"]}, None, False),
    ("not(${a} = 'no') or ${b} > 3", {"a": "no", "b": 4}, None, True),
    ("${n} * 2 + 1 = 7", {"n": 3}, None, True),
    ("${n} div 0 = 1", {"n": 3}, None, False),
    ("${x} = ''", {}, None, True),
    ("${x} > 3", {}, None, False),
    (". <= today()", {}, "2000-01-01", True),
    ("string-length(.) <= 3", {}, "abcd", False),
])
def test_evaluation(source, values, current, expected):
    assert parse_expression(source).holds(values, current) is expected


@pytest.mark.parametrize("source", ["", "${a} = = 1", "${a} ==", "foo(1)", "(1", "${a} = 'x", "selected(${a})"])
def test_parse_errors(source):
    with pytest.raises(ExpressionError):
        parse_expression(source)


def test_references_are_collected():
    expr = parse_expression("${a} = 'x' and selected(${b}, 'y') and . > 1")
    assert expr.references == {"a", "b"} and expr.uses_self
