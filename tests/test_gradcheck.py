"""gradcheck: the report, its table and HTML, and failures that name the culprit."""

import pytest

from autograd import GradcheckError, Value, define_op, gradcheck

# A test-only op: forward x^2 with the classic slip d/dx = x instead of 2x.
wrong_square = define_op("wrong_square", lambda x: x**2, lambda x, out: (x,))


def test_report_rows_hold_analytic_numeric_and_errors():
    x, y = Value(0.7, label="x"), Value(-1.2, label="y")
    report = gradcheck(lambda x, y: (x * y).tanh() + x**2, [x, y])
    assert report and report.ok and len(report) == 2
    row = report.rows[0]
    assert row.label == "x" and row.ok
    assert row.abs_error == abs(row.analytic - row.numeric) < 1e-8
    assert row.analytic == pytest.approx(x.grad if x.grad else row.analytic)


def test_report_prints_an_aligned_table():
    report = gradcheck(lambda a, b: a * b, [Value(2.0, label="a"), Value(3.0, label="b")])
    lines = str(report).splitlines()
    assert lines[0].split() == [
        "input",
        "analytic",
        "numeric",
        "abs",
        "error",
        "rel",
        "error",
        "ok",
    ]
    assert lines[2].split()[:3] == ["a", "3", "3"] and lines[2].endswith("ok")
    assert len({line.index("ok") for line in lines[2:4]}) == 1  # aligned column
    assert "gradcheck passed: 2 derivatives" in lines[-1]
    html = report._repr_html_()
    assert html.count("<tr") == 3 and "passed" in html


def test_gradcheck_leaves_input_grads_untouched():
    x = Value(1.0)
    x.grad = 5.0
    gradcheck(lambda x: x * 3, [x])
    assert x.grad == 5.0 and x.data == 1.0


def test_failure_raises_naming_the_input_and_both_numbers():
    x = Value(3.0, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_square, [x])
    message = str(info.value)
    assert message.startswith("gradcheck FAILED (1 of 1)")
    failing = message.splitlines()[-1].split()
    assert failing[:3] == ["x", "3", "6"] and failing[-1] == "FAIL"  # input, analytic, numeric
    assert not info.value.report.ok


def test_failure_can_return_the_report_instead():
    report = gradcheck(wrong_square, [Value(3.0, label="x")], raise_on_failure=False)
    assert not report and report.failures()[0].label == "x"
    assert "FAILED (1 of 1)" in str(report)
    assert "background:#fdd" in report._repr_html_()


def test_unlabelled_inputs_are_named_by_position():
    report = gradcheck(lambda a, b: a / b, [Value(1.0), Value(2.0)])
    assert [r.label for r in report] == ["input0", "input1"]


def test_tolerances_are_torchs_defaults_and_adjustable():
    x = Value(2.0, label="x")
    # d/dx of an op whose derivative is off by 1e-4 relative passes rtol=1e-3, fails rtol=1e-6
    op = define_op("scaled", lambda v: v * 3, lambda v, out: (3.0 * (1 + 1e-4),))
    assert gradcheck(op, [x])
    assert not gradcheck(op, [x], rtol=1e-6, atol=0, raise_on_failure=False)


def test_bad_arguments():
    with pytest.raises(TypeError, match="input 0 is float"):
        gradcheck(lambda x: x, [1.0])
    with pytest.raises(TypeError, match="must return a Value or Tensor, got float"):
        gradcheck(lambda x: 1.0, [Value(1.0)])
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        gradcheck(lambda x: x, [Value(1.0)], eps=0)
