"""The one list of calibration methods, by name: every method module is named here and nowhere else."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from . import affine, basic, mixed, rasch
from ._method import MethodSpec

METHODS: Mapping[str, MethodSpec] = MappingProxyType({spec.name: spec for spec in (
    basic.MEAN,
    basic.TRIMMED,
    basic.TRIMMED_MEAN,
    basic.ZSCORE,
    basic.ADDITIVE,
    basic.CONFIDENCE,
    affine.AFFINE,
    mixed.MIXED,
    rasch.RASCH,
)})
