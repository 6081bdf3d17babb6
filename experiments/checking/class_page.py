"""Placeholder."""


def class_page(rows) -> str:
    raise NotImplementedError
