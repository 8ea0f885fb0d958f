"""One error found in the catalogue files, structured: where it is (file and record), which
field of the record (dotted: `amount.min`, `sources[1]`, `eligibility.and[0]`), and what is
wrong, in French. The command line prints it as one line; the console puts it next to the
form field it names, without reading the words of the message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # the file and record: « creation.yml[3] (acre) », « contacts.yml »
    field: str  # the record's key, dotted when nested; "" for the whole record or file
    message: str  # French, without the field's name when `field` is given

    def __str__(self) -> str:
        if self.field:
            return f"{self.path}: {self.field} : {self.message}"
        return f"{self.path}: {self.message}"

    @property
    def top_field(self) -> str:
        """The record's top-level key (`amount` for `amount.min`, `sources` for
        `sources[1]`)."""
        return self.field.split(".")[0].split("[")[0]
