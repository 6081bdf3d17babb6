"""The ``gradstep`` command line."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradstep",
        description="An autograd engine whose every gradient can be seen, and the "
        "back-propagation lab built on it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "demo",
        help="a short engine demonstration: a small expression, its gradients and a gradient check",
    )
    return parser


def demo() -> int:
    from autograd import Value, gradcheck

    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    b = Value(0.25, label="b")
    y = (x * w + b).sigmoid()
    y.label = "y"
    y.backward()
    print("y = sigmoid(x * w + b)")
    for node in (x, w, b, y):
        print(" ", node)
    print()
    print(gradcheck(lambda x, w, b: (x * w + b).sigmoid(), [x, w, b]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
