"""Bad input gets a clear TypeError naming the offending type."""

import pytest

from autograd import Value


@pytest.mark.parametrize(
    "bad, name",
    [("x", "str"), (None, "NoneType"), ([1, 2], "list"), (1 + 2j, "complex"), ({"a": 1}, "dict")],
)
def test_value_rejects_non_real_data(bad, name):
    with pytest.raises(TypeError, match=f"Value needs a real number, got {name}"):
        Value(bad)


@pytest.mark.parametrize("bad", ["s", None, [1.0], object()])
def test_arithmetic_with_non_numbers_names_the_type(bad):
    # (``"s" * Value(1)`` is refused by str itself, with Python's own sequence message.)
    for op in (
        lambda: Value(1) + bad,
        lambda: Value(1) * bad,
        lambda: Value(1) / bad,
        lambda: Value(2) ** bad,
        lambda: Value(1) - bad,
    ):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


def test_comparison_with_non_number():
    with pytest.raises(TypeError, match="cannot compare Value with str"):
        Value(1.0) < "a"  # noqa: B015


@pytest.mark.parametrize("bad", [None, object()])
def test_reflected_arithmetic_with_non_numbers_names_the_type(bad):
    for op in (lambda: bad + Value(1), lambda: bad * Value(1), lambda: bad - Value(1)):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()
