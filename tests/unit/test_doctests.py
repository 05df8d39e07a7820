"""The examples in the modules' docstrings hold (run on the installed package, as the tests are)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cliptool

MODULES = sorted(m.name for m in pkgutil.iter_modules(cliptool.__path__, "cliptool.") if m.name != "cliptool.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
