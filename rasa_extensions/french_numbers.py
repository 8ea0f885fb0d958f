"""French number words in a message, turned into digits with `text2num` (« vingt-quatre ans »
→ « 24 ans »), keeping where each piece came from so an entity found in the digit text points
at the user's own words. Also folds case and accents, character for character, so patterns are
written once (« créée » and « creee » alike)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from text_to_num import text2num

# The words French numbers are written with; « et » and hyphens only join them.
_UNITS = (
    "zero|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
    "quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|millions?|milliards?"
)
_WORD = rf"(?:{_UNITS})"
NUMBER_WORDS = re.compile(rf"\b{_WORD}(?:(?:[\s-]+(?:et[\s-]+)?){_WORD})*\b")


def fold(text: str) -> str:
    """Lower case without accents, the same length as `text` (one character for one), with
    typographic apostrophes made plain."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0].lower()[:1] or char
        out.append("'" if base in "’ʼ`" else base)
    return "".join(out)


@dataclass(frozen=True)
class Digitized:
    """A folded text whose number words are digits, and the map back to the original."""

    text: str
    # (start in `text`, end in `text`, start in the original, end in the original), one per
    # replaced number; characters outside these pieces shift by the pieces before them.
    pieces: tuple[tuple[int, int, int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the characters start..end of `text` were in the original message."""
        return self._original(start, at_end=False), self._original(end, at_end=True)

    def _original(self, position: int, *, at_end: bool) -> int:
        shift = 0
        for new_start, new_end, old_start, old_end in self.pieces:
            if position < new_start or (at_end and position == new_start):
                break
            if position < new_end or (at_end and position == new_end):
                return old_end if at_end else old_start
            shift = old_end - new_end
        return position + shift


def number_value(words: str) -> int | None:
    """The value of number words (« vingt et un » → 21), or None when they are not one number."""
    try:
        return int(text2num(words.replace("-", " "), "fr"))
    except ValueError:
        return None


def digitize(text: str) -> Digitized:
    """The folded text with each run of French number words written in digits."""
    folded = fold(text)
    parts: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    last = 0
    length = 0
    for match in NUMBER_WORDS.finditer(folded):
        value = number_value(match.group())
        if value is None:
            continue
        parts.append(folded[last : match.start()])
        length += match.start() - last
        digits = str(value)
        pieces.append((length, length + len(digits), match.start(), match.end()))
        parts.append(digits)
        length += len(digits)
        last = match.end()
    parts.append(folded[last:])
    return Digitized("".join(parts), tuple(pieces))
