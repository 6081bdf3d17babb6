"""The rooms hold: the engine imports neither the checks nor the views (statically, and in a fresh
interpreter), no module takes another module's private name, and every name ``autograd`` has
exported keeps importing from it."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
ENGINE = ["graph", "ops", "numeric", "value", "tensor", "higher", "conv", "custom"]
ROOMS_APART = ("autograd.checks", "autograd.views")

# Every name ``autograd`` exported when the rooms were made (``autograd.__all__`` then).
EXPORTED = [
    "AnomalyError",
    "CheckRow",
    "ClosureError",
    "CustomOpError",
    "ForwardStep",
    "GradcheckError",
    "GradcheckReport",
    "GradientCheckReport",
    "MixingError",
    "Node",
    "OpCheckReport",
    "RendererMissingError",
    "Step",
    "StepCheckReport",
    "Stepper",
    "Tensor",
    "TooManyNodesError",
    "Tolerance",
    "Value",
    "avg_pool2d",
    "backward",
    "backward_steps",
    "check_gradients",
    "check_op",
    "check_step",
    "concatenate",
    "conv2d",
    "current_scope",
    "define_op",
    "define_tensor_op",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "draw",
    "find_renderer",
    "flatten",
    "forward_steps",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "max_pool2d",
    "no_grad",
    "numerical_grad",
    "render",
    "scope",
    "stack",
    "stepper",
    "sum_values",
    "topological_order",
    "value_conv2d",
]


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(
    path: pathlib.Path, source: str = "", tree: ast.AST | None = None
) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) for every import in ``path`` (or in ``source``
    as if it stood there), at any depth (inside functions too), relative imports resolved."""
    tree = tree or ast.parse(source or path.read_text())
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def _private_crossings(path: pathlib.Path, source: str = "") -> list[tuple[int, str]]:
    """Each ``from X import _name`` and each ``X._name`` with X one of this repository's
    modules (imported under any alias) in ``path`` (or ``source`` as if there): (line, the
    private name's full path)."""
    own = ("autograd", "nets", "experiments")
    tree = ast.parse(source or path.read_text())
    aliases: dict[str, str] = {}
    out = []
    for line, module, names in _imported_modules(path, tree=tree):
        if not module.startswith(own):
            continue
        if not names:  # import a.b.c [as x]
            aliases[module.split(".")[0]] = module.split(".")[0]
        for name in names:
            if name.startswith("_") and not name.startswith("__"):
                out.append((line, f"{module}.{name}"))
            aliases[name] = f"{module}.{name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and a.name.startswith(own):
                    aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            chain, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases and not node.attr.startswith("__"):
                full = ".".join([aliases[base.id], *reversed(chain)])
                out.append((node.lineno, full))
    return out


def _sources(*packages: str) -> list[pathlib.Path]:
    return sorted(p for package in packages for p in (REPO / package).rglob("*.py"))


def test_no_engine_module_imports_the_checks_or_the_views():
    bad = [
        f"autograd/{name}.py:{line}: imports {module}"
        for name in ENGINE
        for line, module, names in _imported_modules(REPO / "autograd" / f"{name}.py")
        if module.startswith(ROOMS_APART)
        or (module == "autograd" and {"checks", "views"} & set(names))
    ]
    assert bad == []


def test_the_static_scan_sees_imports_inside_functions_and_relative_ones():
    source = "def f():\n    from .views.display import Report\n    import autograd.checks\n"
    found = [m for _, m, _ in _imported_modules(REPO / "autograd" / "value.py", source)]
    assert found == ["autograd.views.display", "autograd.checks"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ENGINE)
def test_importing_an_engine_module_loads_no_check_or_view(name):
    code = (
        "import sys\n"
        f"import autograd.{name}\n"
        f"print(sorted(m for m in sys.modules if m.startswith({ROOMS_APART!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", f"autograd.{name} loaded {result.stdout}"


def test_every_exported_name_still_imports_from_autograd():
    code = (
        "import autograd\n"
        f"names = {EXPORTED!r}\n"
        "missing = [n for n in names if getattr(autograd, n, None) is None]\n"
        "ns = {}\n"
        "exec('from autograd import *', ns)\n"
        "print(missing, sorted(set(names) - set(ns)), sorted(autograd.__all__) == sorted(names))\n"
        "from autograd import gradgradcheck, draw, Stepper, check_step\n"
        "from autograd.checks.gradcheck import gradgradcheck as moved\n"
        "assert gradgradcheck is moved and autograd.views.drawing.draw is draw\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["[]", "[]", "True"]


def test_an_unknown_name_is_still_an_attribute_error():
    import autograd

    with pytest.raises(AttributeError, match="no attribute 'gradchek'"):
        autograd.gradchek  # noqa: B018


def test_no_module_imports_another_modules_private_name():
    found = {
        (str(path.relative_to(REPO)), name, line)
        for path in _sources("autograd", "nets", "experiments")
        for line, name in _private_crossings(path)
        if not name.startswith(_module_name(path) + ".")  # its own name, reached by a path
    }
    assert sorted(f"{p}:{line}: {name}" for p, name, line in found) == []


def test_the_private_name_scan_finds_both_forms():
    source = (
        "from autograd.value import _dot, dot\n"
        "import autograd.tensor as t\n"
        "from experiments import datasets\n"
        "x = t._make\n"
        "y = datasets._labels\n"
        "z = t.__name__\n"
    )
    found = sorted(name for _, name in _private_crossings(REPO / "nets" / "mlp.py", source))
    assert found == ["autograd.tensor._make", "autograd.value._dot", "experiments.datasets._labels"]
