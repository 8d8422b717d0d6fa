"""Short citations for labels: "Notsu et al. 2024" from an APA-style citation, and who stated a figure."""

from __future__ import annotations

import re

_INITIALS = re.compile(r"^(?:[A-Z][a-z]?\.[\s-]*)+$")  # "H.", "R. E.", "J.-P."
_AUTHORS_YEAR = re.compile(r"\s*(.+?)\s*\((\d{4})[a-z]?\)")


def author_year(citation: str) -> str | None:
    """ "Notsu et al. 2024", "Diener & Monroe 2011", "Smith 2020" from an APA-style citation; None when it is not one.

    >>> author_year("Notsu, H., Blansfield, R. E., Spina, D. S., & Levy, K. N. (2024). An updated meta-analysis.")
    'Notsu et al. 2024'
    >>> author_year("Diener, M. J., & Monroe, J. M. (2011). The relationship."), author_year("A report")
    ('Diener & Monroe 2011', None)
    >>> author_year("Smith, J.; Jones, K. (2020). A trial."), author_year("Simulated, A.01; Example, B. (2006). X.")
    ('Smith & Jones 2020', 'Simulated & Example 2006')
    """
    found = _AUTHORS_YEAR.match(citation)
    if not found or len(found.group(1)) > 300:
        return None
    surnames = _surnames(found.group(1))
    year = found.group(2)
    if not surnames:
        return f"{found.group(1)[:60]} {year}"
    if len(surnames) == 1:
        return f"{surnames[0]} {year}"
    if len(surnames) == 2:
        return f"{surnames[0]} & {surnames[1]} {year}"
    return f"{surnames[0]} et al. {year}"


def _surnames(authors: str) -> list[str]:
    """The surnames of an author list: "Surname, I.; Surname, I." (semicolons) or APA's "Surname, I., & Surname, I."."""
    if ";" in authors:  # each author is "Surname, initials" (the initials may be anything: "A.01")
        names = [author.strip().removeprefix("&").strip() for author in authors.split(";")]
        return [name.split(",")[0].strip() for name in names if name]
    parts = [part.strip().removeprefix("&").strip() for part in authors.split(",")]
    return [part for part in parts if part and not _INITIALS.match(part)]


def short_citation(citation: str) -> str:
    """The author-year form of a citation (see author_year), else its first 80 characters."""
    return author_year(citation) or citation[:80]


def as_cited_in(source: str, document: str | None) -> str:
    """Who stated a figure: the source itself, or `Flückiger et al. 2018, as cited in the PPRNet summary`."""
    return f"{source}, as cited in {document}" if document else source


def document_name(short_title: str | None, title: str | None) -> str | None:
    """How a label names a source document: `the PPRNet summary` from its short title, else its quoted title."""
    if short_title:
        return f"the {short_title}"
    return f"\u201c{title}\u201d" if title else None
