"""Install hints: one wording (autograd.extras.extra_hint) that names the command that works in
a clone and the one that works from a wheel, used by every message that names an extra."""

from pathlib import Path

from autograd.extras import extra_hint

REPO = Path(__file__).resolve().parent.parent


def test_the_hint_names_the_clone_and_the_wheel_command():
    hint = extra_hint("torch")
    assert "`pip install -e '.[torch]'` in a clone" in hint
    assert "`pip install 'gradstep[torch]'` from a wheel" in hint


def test_every_install_hint_in_the_package_goes_through_extra_hint():
    """No module spells its own `pip install` (a hint that only works from a wheel is how a
    clone's user was told the wrong command)."""
    spelled = [
        f"{path.relative_to(REPO)}:{n}"
        for folder in ("autograd", "nets", "experiments")
        for path in sorted((REPO / folder).rglob("*.py"))
        if path.name != "extras.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "pip install" in line
    ]
    assert spelled == []


def test_the_messages_that_name_an_extra_carry_both_commands():
    from autograd.views.rendering import NO_RENDERER
    from nets.pytorch import import_torch

    assert extra_hint("render") in NO_RENDERER
    try:
        import torch  # noqa: F401
    except ImportError:
        import pytest

        from nets import TorchMissingError

        with pytest.raises(TorchMissingError) as info:
            import_torch()
        assert extra_hint("torch") in str(info.value)
