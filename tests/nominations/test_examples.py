"""The runnable examples in the intake modules' docstrings stay true."""

import doctest

import pytest

import judging.nominations.blinding
import judging.nominations.quotas
import judging.textsim


@pytest.mark.parametrize("module", [judging.textsim, judging.nominations.blinding, judging.nominations.quotas])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
