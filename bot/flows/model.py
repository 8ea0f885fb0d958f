"""What a flow scenario is, once read and validated: steps and their expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

StepKind = Literal["say", "click", "answer_until_recommendation"]


@dataclass(frozen=True)
class Expectations:
    """What the assistant's answer to a step must (or must not) contain."""

    contains: tuple[str, ...] = ()  # dit_contient
    not_contains: tuple[str, ...] = ()  # dit_ne_contient_pas
    recommends: tuple[str, ...] = ()  # recommande (aid ids)
    not_recommends: tuple[str, ...] = ()  # ne_recommande_pas (aid ids)
    asks: tuple[str, ...] = ()  # demande (profile fields)
    not_asks: tuple[str, ...] = ()  # ne_demande_pas (profile fields)
    buttons: tuple[str, ...] = ()  # propose_boutons (button titles)
    offers_handoff: bool | None = None  # propose_mise_en_relation
    hands_off: bool | None = None  # transmet

    def is_empty(self) -> bool:
        return self == Expectations()


@dataclass(frozen=True)
class Step:
    """One thing the persona does, and what the answer must show."""

    number: int  # 1-based position in the scenario
    line: int  # line of the step in the file (1-based)
    kind: StepKind
    text: str = ""  # the message (say) or the button title (click)
    answers: dict[str, str] = field(default_factory=dict)  # field -> answer (helper step)
    expect: Expectations = field(default_factory=Expectations)


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    steps: tuple[Step, ...]
    territory: str | None = None  # sent as message metadata
    description: str = ""
    known_bug: str | None = None  # bug_connu: a failure is reported, not counted
