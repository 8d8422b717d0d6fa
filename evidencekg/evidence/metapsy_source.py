"""Who a Metapsy database is and how to credit it: read from its repository folder (README, licence, metadata) or options."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evidencekg.evidence.batch import IngestError, find_doi, slug

ODC_BY = "https://opendatacommons.org/licenses/by/1-0/"
# docs.metapsy.org, data preparation / metadata: "By default, all datasets are assigned with a Open Data
# Commons Attribution License (ODC-By)"; a repository's own license file or --licence overrides it.
METAPSY_DEFAULT_LICENCE = ODC_BY
README_NAMES = ("README.md", "readme.md", "Readme.md", "SOURCE-README.md")
LICENCE_NAMES = ("license", "LICENSE", "license.txt", "LICENSE.txt", "LICENSE.md", "license.md")
KNOWN_LICENCES: tuple[tuple[str, str], ...] = (
    (r"ODC[- ]?By|Open Data Commons Attribution", ODC_BY),
    (r"CC[- ]?BY[- ]?4\.0|Creative Commons Attribution 4\.0", "https://creativecommons.org/licenses/by/4.0/"),
    (r"CC0|Public Domain Dedication", "https://creativecommons.org/publicdomain/zero/1.0/"),
)
OUTCOME_SENTENCE = re.compile(r"effect sizes are (?:provided|calculated|given) for ([^.]+?) outcomes?\b", re.IGNORECASE)
# What the importer was told, option name -> what the CLI and the HTTP API call it (for the messages).
OPTIONS = {"dataset_doi": ("--dataset-doi", "dataset_doi"), "outcome": ("--outcome", "outcome"),
           "title": ("--title", "title"), "licence": ("--licence", "licence")}  # fmt: skip


@dataclass(frozen=True)
class Credit:
    """A Metapsy-standard dataset: what its findings are about and how it must be credited."""

    name: str  # slug of id:dataset/{name}
    title: str
    doi: str
    outcome: str  # the outcome construct's name, as the dataset or the --outcome option says it
    citation: str
    licence: str = METAPSY_DEFAULT_LICENCE
    publisher: str | None = None
    page: str | None = None
    risk_of_bias_method: str | None = None  # metadata/risk_of_bias.txt, verbatim
    randomised: bool = False  # the search flow excluded records without random assignment
    authors: tuple[str, ...] = field(default_factory=tuple)


def option_hint(option: str) -> str:
    """How to give an option, in both the CLI's and the HTTP API's terms."""
    cli, http = OPTIONS[option]
    return f"give {cli} (HTTP: ?{http}=)"


def data_file(path: Path) -> Path:
    """The data file of a Metapsy repository folder (data.csv), or the path itself when it is a file."""
    if not path.is_dir():
        return path
    found = path / "data.csv"
    if not found.is_file():
        raise IngestError(f"{path} is a folder without data.csv: a Metapsy dataset repository holds data.csv, "
                          "README.md and metadata/; nothing was written")  # fmt: skip
    return found


def _read(folder: Path, names: tuple[str, ...]) -> str | None:
    """The text of the first of these files that exists in the folder."""
    for name in names:
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8", errors="replace")
    return None


def _title(readme: str) -> str | None:
    """The README's first heading without Markdown marks, emoji or images."""
    for line in readme.splitlines():
        if line.lstrip().startswith("#"):
            words = re.sub(r"[#*`_\[\]]|!\[[^\]]*\]\([^)]*\)|[^\w\s,.:;()'/-]", "", line).split()
            return " ".join(words) or None
    return None


def _readme_doi(readme: str) -> str | None:
    """The dataset DOI a README states (its DOI badge or link; %2F-escaped forms too)."""
    text = readme.replace("%2F", "/").replace("%2f", "/")
    links = re.findall(r"doi\.org/(10\.\d{4,9}/[^\s)\"'>\]]+)", text)
    return links[0].rstrip(".,;") if links else find_doi(text)


def _licence(text: str) -> str | None:
    """The licence IRI a license file names (its URL, or a licence it names by name)."""
    url = re.search(r"https?://\S+", text)
    if url:
        return url.group(0).rstrip(".,;)>")
    for pattern, iri in KNOWN_LICENCES:
        if re.search(pattern, text, re.IGNORECASE):
            return iri
    return None


def _authors(folder: Path) -> tuple[str, ...]:
    """The names in metadata/authors.json (the database's authors), in order."""
    path = folder / "metadata" / "authors.json"
    if not path.is_file():
        return ()
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise IngestError(f"{path}: not JSON ({exc}); nothing was written") from exc
    return tuple(str(e["name"]) for e in entries if isinstance(e, dict) and e.get("name"))


def _text(folder: Path, name: str) -> str | None:
    """A metadata/*.txt file's text, stripped (None when absent or empty)."""
    path = folder / "metadata" / name
    return (path.read_text(encoding="utf-8", errors="replace").strip() or None) if path.is_file() else None


def _randomised(folder: Path) -> bool:
    """Whether metadata/search_flow.json lists non-random assignment among the full-text exclusions."""
    path = folder / "metadata" / "search_flow.json"
    if not path.is_file():
        return False
    try:
        reasons = json.loads(path.read_text(encoding="utf-8")).get("full.text.excluded.reasons", {})
    except (ValueError, AttributeError):
        return False
    return any(re.search(r"\bno random", str(reason), re.IGNORECASE) for reason in reasons)


def read_credit(folder: Path | None, options: Mapping[str, str]) -> Credit:
    """The dataset's credit from its folder (README.md, license, metadata/) and options, options first.

    The DOI and the outcome are never assumed: without them (in the folder or as options) this
    raises an IngestError saying which option to give.
    """
    readme = _read(folder, README_NAMES) if folder else None
    doi = options.get("dataset_doi") or (_readme_doi(readme) if readme else None)
    if doi:
        doi = find_doi(doi) or doi
    if not doi or not doi.startswith("10."):
        where = f"{folder} has no README.md stating it" if folder else "a bare data file does not carry it"
        raise IngestError(f"which Metapsy dataset is this? Its DOI is needed to credit it ({where}): "
                          f"{option_hint('dataset_doi')}, the DOI its README or Zenodo record gives, e.g. 10.5281/zenodo.NNNNNNN; nothing was written")  # fmt: skip
    match = OUTCOME_SENTENCE.search(readme) if readme else None
    outcome = options.get("outcome") or (match.group(1).strip() if match else None)
    if not outcome:
        raise IngestError("what outcome do these effect sizes measure? The README does not say (\"Effect sizes are "
                          f"provided for ... outcomes\"): {option_hint('outcome')}, e.g. \"depressive symptoms\"; "
                          "nothing was written")  # fmt: skip
    licence_text = _read(folder, LICENCE_NAMES) if folder else None
    licence = options.get("licence") or (_licence(licence_text) if licence_text else None) or METAPSY_DEFAULT_LICENCE
    shorthand = _text(folder, "shorthand.txt") if folder else None
    title = options.get("title") or (_title(readme) if readme else None) or f"Metapsy-standard dataset doi:{doi}"
    metapsy = bool(readme and re.search(r"metapsy", readme, re.IGNORECASE))
    authors = _authors(folder) if folder else ()
    by = f"{'; '.join(authors)}. " if authors else ("Metapsy project. " if metapsy else "")
    citation = f"{by}{title}. https://doi.org/{doi}. Licence: {licence}."
    return Credit(
        name=f"metapsy-{slug(shorthand)}" if shorthand else f"doi-{slug(doi)}", title=title, doi=doi, outcome=outcome,
        citation=citation, licence=licence, publisher="Metapsy project" if metapsy else None,
        page="https://www.metapsy.org/" if metapsy else None,
        risk_of_bias_method=_text(folder, "risk_of_bias.txt") if folder else None,
        randomised=_randomised(folder) if folder else False, authors=authors,
    )  # fmt: skip
