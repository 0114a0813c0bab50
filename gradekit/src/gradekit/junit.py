"""A scorecard as JUnit XML: one test case per criterion, so any CI system shows the verdicts.

Failed criteria are ``<failure>``, inconclusive and skipped ones ``<skipped>`` (with the reason),
information-only figures pass with the figure in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from gradekit.result import Status

if TYPE_CHECKING:
    from gradekit.scorecard import Scorecard

__all__ = ["render_junit"]


def render_junit(card: Scorecard) -> str:
    """The XML text of ``card`` as one ``<testsuite>``."""
    failures = sum(1 for c in card.criteria if c.status is Status.FAIL)
    skipped = sum(1 for c in card.criteria if c.status in (Status.INCONCLUSIVE, Status.SKIPPED))
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{card.stage}: {card.title}",
        tests=str(len(card.criteria) or 1),
        failures=str(failures if card.implemented else 1),
        skipped=str(skipped),
        timestamp=card.created_at,
        time=f"{sum(c.duration_s for c in card.criteria):.3f}",
    )
    ET.SubElement(suite, "properties").append(
        ET.Element("property", name="implementation", value=card.implementation)
    )
    if not card.implemented:
        case = ET.SubElement(suite, "testcase", classname=card.stage, name="implemented")
        ET.SubElement(case, "failure", message=card.message).text = card.message
    for c in card.criteria:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=card.stage,
            name=f"{c.id}: {c.title}",
            time=f"{c.duration_s:.3f}",
        )
        summary = f"measured {c.measured!r} {c.unit} (threshold {c.threshold_text})".strip()
        if c.status is Status.FAIL:
            ET.SubElement(case, "failure", message=summary).text = c.error or c.evidence
        elif c.status in (Status.INCONCLUSIVE, Status.SKIPPED):
            ET.SubElement(case, "skipped", message=c.evidence)
        ET.SubElement(case, "system-out").text = f"{summary}\n{c.evidence}"
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
