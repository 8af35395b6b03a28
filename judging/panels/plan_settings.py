"""The organizer's choices for an assignment plan (k judges each, or panels over blocks) and their checks."""

from __future__ import annotations

from dataclasses import dataclass

from judging.errors import N_, JudgingError

MODES = ("k", "blocks")


@dataclass(frozen=True)
class PlanSettings:
    mode: str = "k"
    k: int = 5
    max_load: int = 30
    min_load: int = 0
    panel_size: int = 5
    n_panels: int = 2
    overlap: int = 1
    same_city: bool = False
    fairness: bool = False
    max_probability: float | None = None
    seed: int = 0

    def check(self) -> None:
        if self.mode not in MODES:
            raise JudgingError(N_("Unknown assignment mode {mode}."), mode=self.mode)
        if self.mode == "k":
            if self.k < 1:
                raise JudgingError(N_("Judges per nomination must be at least 1."))
            if self.max_load < 1:
                raise JudgingError(N_("The load cap must be at least 1."))
            if not 0 <= self.min_load <= self.max_load:
                raise JudgingError(N_("The minimum load must be between 0 and the load cap."))
            if self.max_probability is not None and not 0 < self.max_probability <= 1:
                raise JudgingError(N_("The probability cap must be above 0 and at most 1."))
        else:
            if self.panel_size < 2 or self.n_panels < 1 or self.overlap < 1:
                raise JudgingError(N_("Panels need at least 2 experts, at least 1 panel and an overlap of at least 1."))
            if self.n_panels > 1 and self.panel_size < (2 * self.overlap if self.n_panels > 2 else self.overlap + 1):
                raise JudgingError(N_("Panels of {size} are too small for an overlap of {overlap} on both sides."),
                                   size=self.panel_size, overlap=self.overlap)

    def as_dict(self) -> dict:
        return dict(self.__dict__)
