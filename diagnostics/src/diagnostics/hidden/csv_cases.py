"""Problem 1's CSV inputs with the errors planted in them (the truth the probes compare to).

Rows are file line numbers (the header is line 1), as the problem statement says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CsvCase", "ErrorRecord", "csv_cases"]

ErrorRecord = tuple[int, str, str]  # (row, column, "empty" | "type")


@dataclass(frozen=True)
class CsvCase:
    """One CSV file's text and the exact set of error records a correct validator returns."""

    name: str
    text: str
    expected: frozenset[ErrorRecord]

    def write(self, folder: Path) -> Path:
        """Write the file (UTF-8, LF line ends) and return its path."""
        path = folder / f"{self.name}.csv"
        path.write_text(self.text, encoding="utf-8", newline="")
        return path


def csv_cases() -> dict[str, CsvCase]:
    """The fixed cases, by name: empty, types, clean, reordered, missing_column, missing_two.

    Each file plants one kind of mistake, so one wrong habit costs one requirement: only
    ``empty`` has empty cells (one of them whitespace-only), only ``types`` has subtle type
    errors, only ``clean`` has quoted commas and padded values; ``reordered`` has obvious errors
    only.
    """
    cases = [
        CsvCase(
            "empty",
            "id,name,age,score\n"
            "1,Kim Minji,34,88.5\n"
            "2,,29,71.0\n"
            "3,Lee Jun,  ,90\n"
            "4,Park Seo,41,\n"
            "5,Choi Ara,38,77.25\n"
            ",Jung Ho,22,65\n"
            "7,Han Bit,27,80\n",
            frozenset(
                {
                    (3, "name", "empty"),
                    (4, "age", "empty"),
                    (5, "score", "empty"),
                    (7, "id", "empty"),
                }
            ),
        ),
        CsvCase(
            "types",
            "id,name,age,score\n"
            "1,Kim Minji,34,88.5\n"
            "2,Lee Jun,3.5,70\n"
            "x3,Park Seo,41,80\n"
            "4,Choi Ara,abc,n/a\n"
            "5,Jung Ho,27,12.5e1\n"
            "6,Han Bit,-4,-0.5\n"
            "7,Yoon Ji,19,9x\n"
            "8,Kang Jiwoo,50,66\n",
            frozenset(
                {
                    (3, "age", "type"),
                    (4, "id", "type"),
                    (5, "age", "type"),
                    (5, "score", "type"),
                    (8, "score", "type"),
                }
            ),
        ),
        CsvCase(
            "clean",
            "id,name,age,score\n"
            '1,"Kim, Minji",34,88.5\n'
            " 2 , Lee Jun , 29 , 71.0 \n"
            '3,"Park ""Sunny"" Seo",41,90\n'
            "4,Choi Ara,0,0\n",
            frozenset(),
        ),
        CsvCase(
            "reordered",
            "score,team,name,id,age\n"
            "88.5,red,Kim Minji,1,34\n"
            "71.0,blue,,2,29\n"
            "90,,Lee Jun,3,abc\n"
            "oops,green,Park Seo,4,41\n",
            frozenset({(3, "name", "empty"), (4, "age", "type"), (5, "score", "type")}),
        ),
        CsvCase("missing_column", "id,name,score\n1,Kim Minji,88.5\n", frozenset()),
        CsvCase("missing_two", "id,name\n1,Kim Minji\n", frozenset()),
    ]
    return {case.name: case for case in cases}
