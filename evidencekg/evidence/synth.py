"""A deterministic synthetic evidence base in our own model (for benchmarks and load tests; marked synthetic everywhere).

`evidencekg synth --findings N --seed S --out FILE` writes, as N-Quads (or N-Triples / Turtle by the
file's suffix) in the ingest graph of its own source document:

- ~200 constructs in the constructs scheme (20 areas with 9 narrower constructs each, broader and
  narrower both asserted), every label starting "synthetic";
- ~1,000 popular construct pairs (Zipf-like popularity, so one pair is far busier than the rest) and a
  tail of random pairs;
- primary studies with 1-20 findings each, one sample size per study (log-normal, median 150), each
  finding a Pearson r drawn around a pair's true correlation (mean 0.1, spread 0.12, plus sampling
  error from n), its 95% CI and p from n (Fisher z), k = 1;
- about one study in ten a trial: 1-3 comparisons of a therapy against a control (Metapsy's condition
  codes), Hedges' g, its SE from the arm sizes, instrument, rater, time point;
- one publication per study with a DOI under 10.5555, Crossref's test prefix, which no real work
  has (10.5555/evidencekg-synthetic.S.STUDY), and one source sentence per finding that states its
  numbers; the source document, publications and sentences say they are synthetic.

The same N and seed give the same bytes (Python's `random.Random`, no clock, no hash order).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from evidencekg.model.conditions import METAPSY_CONDITIONS
from evidencekg.model.graphs import ingest_graph
from evidencekg.model.namespaces import (
    BIBO,
    CONDITION_SCHEME,
    CONSTRUCT_SCHEME,
    DCTERMS,
    EKG,
    HEDGES_G,
    ID,
    IS_ABOUT,
    MEASURE_SCHEME,
    PEARSON_R,
    PROV,
    SKOS,
)

TEST_DOI_PREFIX = "10.5555"  # Crossref's test prefix: a synthetic DOI can never name a real work
AREAS, PER_AREA, POPULAR_PAIRS = 20, 9, 1_000
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
XSD = "http://www.w3.org/2001/XMLSchema#"
DEPRESSIVE_SYMPTOMS = str(ID["construct/depressive-symptoms"])  # a shipped construct: trial outcomes
THERAPIES, CONTROLS = ("cbt", "bat", "pst", "ipt", "dyn", "3rd"), ("wl", "cau", "other ctr")
INSTRUMENTS = ("bdi-2", "hdrs-17", "phq-9", "ces-d")  # Metapsy instrument codes
RATERS = (("self-report", EKG.SelfReport), ("clinician", EKG.ClinicianRated))

# Called now and then while writing: (findings written, findings in total).
Progress = Callable[[int, int], None]


def iri(value: object) -> str:
    """An IRI in N-Triples form."""
    return f"<{value}>"


def text(value: str, lang: str | None = None) -> str:
    """A string literal in N-Triples form (quotes, backslashes and line breaks escaped)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(lexical: object, datatype: str) -> str:
    """A typed literal in N-Triples form (xsd: local name)."""
    return f'"{lexical}"^^<{XSD}{datatype}>'


@dataclass(frozen=True)
class Construct:
    """One synthetic construct: its IRI and label."""

    iri: str
    label: str


def constructs() -> list[Construct]:
    """The 20 areas, then the 9 constructs under each (the same for every seed)."""
    found = [Construct(str(ID[f"construct/synthetic-area-{a:02d}"]), f"synthetic area {a:02d}") for a in range(1, AREAS + 1)]
    for a in range(1, AREAS + 1):
        found += [
            Construct(str(ID[f"construct/synthetic-{a:02d}-{c}"]), f"synthetic construct {a:02d}.{c}")
            for c in range(1, PER_AREA + 1)
        ]
    return found


def scheme_lines(graph: str) -> Iterator[str]:
    """The constructs with labels, definitions and broader/narrower links, and the trial concepts used."""
    everything = constructs()
    areas, members = everything[:AREAS], everything[AREAS:]
    note = text("Synthetic construct made by `evidencekg synth` for benchmarks; it names nothing real.", "en")
    for index, c in enumerate(everything):
        s = iri(c.iri)
        yield f"{s} {iri(RDF_TYPE)} {iri(EKG.Construct)} {graph}"
        yield f"{s} {iri(RDF_TYPE)} {iri(SKOS.Concept)} {graph}"
        yield f"{s} {iri(SKOS.inScheme)} {iri(CONSTRUCT_SCHEME)} {graph}"
        yield f"{s} {iri(SKOS.prefLabel)} {text(c.label, 'en')} {graph}"
        yield f"{s} {iri(SKOS.definition)} {text(f'A synthetic construct ({c.label}) for benchmarks.', 'en')} {graph}"
        yield f"{s} {iri(SKOS.editorialNote)} {note} {graph}"
        if index < AREAS:
            yield f"{s} {iri(SKOS.topConceptOf)} {iri(CONSTRUCT_SCHEME)} {graph}"
            for m in members[index * PER_AREA:(index + 1) * PER_AREA]:
                yield f"{s} {iri(SKOS.narrower)} {iri(m.iri)} {graph}"
        else:
            yield f"{s} {iri(SKOS.broader)} {iri(areas[(index - AREAS) // PER_AREA].iri)} {graph}"
    for code in (*THERAPIES, *CONTROLS):  # as the Metapsy import names them (same triples, no clash)
        slug, label = METAPSY_CONDITIONS[code]
        yield from concept_lines(str(ID[f"condition/{slug}"]), EKG.Condition, CONDITION_SCHEME, label, code, graph)
    for code in INSTRUMENTS:
        yield from concept_lines(str(ID[f"measure/{code}"]), EKG.Measure, MEASURE_SCHEME, code, code, graph)


def concept_lines(node: str, cls: object, scheme: object, label: str, notation: str, graph: str) -> Iterator[str]:
    """A condition or measure concept, written as evidencekg.evidence.batch.Batch.concept writes it."""
    s = iri(node)
    yield f"{s} {iri(RDF_TYPE)} {iri(SKOS.Concept)} {graph}"
    yield f"{s} {iri(SKOS.inScheme)} {iri(scheme)} {graph}"
    yield f"{s} {iri(SKOS.prefLabel)} {text(label, 'en')} {graph}"
    yield f"{s} {iri(RDF_TYPE)} {iri(cls)} {graph}"
    yield f"{s} {iri(SKOS.notation)} {text(notation)} {graph}"


def popular_pairs(rng: random.Random) -> list[tuple[Construct, Construct]]:
    """~1,000 distinct ordered pairs of narrower constructs, most from the same or a neighbouring area."""
    members = constructs()[AREAS:]
    pairs: list[tuple[Construct, Construct]] = []
    seen: set[tuple[str, str]] = set()
    while len(pairs) < POPULAR_PAIRS:
        a = rng.randrange(len(members))
        near = rng.random() < 0.7
        b = (a // PER_AREA + rng.choice((0, 1))) % AREAS * PER_AREA + rng.randrange(PER_AREA) if near else rng.randrange(len(members))
        if a != b and (members[a].iri, members[b].iri) not in seen:
            seen.add((members[a].iri, members[b].iri))
            pairs.append((members[a], members[b]))
    return pairs


def busiest_pair(seed: int = 1) -> tuple[str, str]:
    """The slugs (construct/...) of the most popular pair of a seed's base: the pair with the most findings at scale."""
    a, b = popular_pairs(random.Random(seed))[0]
    return a.iri.rsplit("/", 1)[-1], b.iri.rsplit("/", 1)[-1]


def cumulative(weights: list[float]) -> list[float]:
    """Running sums of the weights (for bisecting a uniform draw)."""
    total, sums = 0.0, []
    for w in weights:
        total += w
        sums.append(total)
    return sums


def p_value(r: float, n: int) -> tuple[str, str]:
    """The two-sided p of r (Fisher z, n - 3 df) as (relation, three-decimal value); "< 0.001" below that."""
    p = math.erfc(abs(math.atanh(r)) * math.sqrt(n - 3) / math.sqrt(2))
    return ("<", "0.001") if p < 0.0005 else ("=", f"{p:.3f}")


class Writer:
    """Draws the studies and writes their lines, keeping the counters the IRIs and positions need."""

    def __init__(self, findings: int, seed: int, graph: str, document: str) -> None:
        self.total, self.seed, self.graph, self.document = findings, seed, graph, iri(document)
        self.rng = random.Random(seed)
        self.pairs = popular_pairs(self.rng)
        self.true_r = [self.rng.gauss(0.1, 0.12) for _ in self.pairs]
        self.weights = cumulative([1 / (rank + 1) ** 0.8 for rank in range(len(self.pairs))])
        self.members = constructs()[AREAS:]
        self.position = 0
        self.written = 0
        self.lines: list[str] = []

    def pick_pair(self) -> tuple[Construct, Construct, float]:
        """A popular pair (nine in ten, by popularity) or a random one, with its true correlation."""
        rng = self.rng
        if rng.random() < 0.9:
            index = min(bisect(self.weights, rng.random() * self.weights[-1]), len(self.pairs) - 1)
            a, b = self.pairs[index]
            return a, b, self.true_r[index]
        a, b = rng.sample(self.members, 2)
        return a, b, rng.gauss(0.1, 0.12)

    def sentence(self, value: str) -> str:
        """A source sentence of the document (its next position) stating one finding."""
        self.position += 1
        node = iri(ID[f"sentence/synthetic-s{self.seed}-{self.position}"])
        g = self.graph
        self.lines += [
            f"{node} {iri(RDF_TYPE)} {iri(EKG.SourceSentence)} {g}",
            f"{node} {iri(RDF_VALUE)} {text(value)} {g}",
            f"{node} {iri(EKG.position)} {typed(self.position, 'integer')} {g}",
            f"{node} {iri(DCTERMS.isPartOf)} {self.document} {g}",
            f"{node} {iri(EKG.sentenceKind)} {text('fact')} {g}",
        ]
        return node

    def study(self, number: int) -> list[str]:
        """The lines of one study: its publication, then each of its findings with its sentence."""
        self.lines = []
        rng, g = self.rng, self.graph
        key = f"synthetic-s{self.seed}-{number}"
        study, publication = iri(ID[f"study/{key}"]), iri(ID[f"publication/{key}"])
        year = 1980 + rng.randrange(45)
        label = f"Synthetic study {number}, {year}"
        doi = f"{TEST_DOI_PREFIX}/evidencekg-synthetic.{self.seed}.{number}"
        citation = f"Synthetic study {number} ({year}). Not a real publication (evidencekg synth, seed {self.seed}). doi:{doi}"
        trial = rng.random() < 0.1
        count = min(1 + int(rng.expovariate(1 / (1.2 if trial else 3.5))), 3 if trial else 20, self.total - self.written)
        first = self.trial_findings(key, study, publication, label, count) if trial else self.association_findings(key, study, publication, label, count)
        self.lines += [
            f"{study} {iri(RDF_TYPE)} {iri(EKG.PrimaryStudy)} {g}",
            f"{study} {iri(EKG.studyLabel)} {text(label)} {g}",
            f"{study} {iri(DCTERMS.bibliographicCitation)} {text(citation)} {g}",
            f"{study} {iri(DCTERMS.issued)} {typed(year, 'gYear')} {g}",
            f"{first} {iri(IS_ABOUT)} {study} {g}",  # a study is an activity: no prov:wasDerivedFrom (docs/model.md)
            f"{study} {iri(EKG.reportedIn)} {publication} {g}",
            f"{publication} {iri(RDF_TYPE)} {iri(EKG.Publication)} {g}",
            f"{publication} {iri(DCTERMS.title)} {text(f'Synthetic publication {number} (not real; generated for benchmarks)')} {g}",
            f"{publication} {iri(DCTERMS.bibliographicCitation)} {text(citation)} {g}",
            f"{publication} {iri(BIBO.doi)} {text(doi)} {g}",
            f"{publication} {iri(DCTERMS.issued)} {typed(year, 'gYear')} {g}",
            f"{publication} {iri(PROV.wasDerivedFrom)} {first} {g}",
        ]
        self.written += count
        return self.lines

    def finding_head(self, node: str, study: str, publication: str, measure: object, estimate: str, sentence: str) -> None:
        """What every one-study reported finding states (types, study, source, measure, estimate, k = 1)."""
        g = self.graph
        self.lines += [
            f"{node} {iri(RDF_TYPE)} {iri(EKG.ReportedFinding)} {g}",
            f"{node} {iri(RDF_TYPE)} {iri(EKG.Finding)} {g}",
            f"{node} {iri(EKG.fromStudy)} {study} {g}",
            f"{node} {iri(EKG.reportedIn)} {publication} {g}",
            f"{node} {iri(EKG.effectSizeMeasure)} {iri(measure)} {g}",
            f"{node} {iri(EKG.estimate)} {typed(estimate, 'decimal')} {g}",
            f"{node} {iri(EKG.numberOfStudies)} {typed(1, 'integer')} {g}",
            f"{node} {iri(PROV.wasDerivedFrom)} {sentence} {g}",
        ]

    def association_findings(self, key: str, study: str, publication: str, label: str, count: int) -> str:
        """`count` correlations of one sample; returns the first one's sentence."""
        rng, g = self.rng, self.graph
        n = max(20, min(20_000, round(rng.lognormvariate(math.log(150), 1.0))))
        first = ""
        for index in range(1, count + 1):
            a, b, rho = self.pick_pair()
            z = rng.gauss(math.atanh(max(-0.9, min(0.9, rho))), math.sqrt(1 / (n - 3) + 0.01))  # sampling error + tau 0.1
            r = round(math.tanh(z), 2)
            r = max(-0.95, min(0.95, r))
            half = 1.959964 / math.sqrt(n - 3)
            lo, hi = (f"{math.tanh(math.atanh(r) + sign * half):.2f}" for sign in (-1, 1))
            relation, p = p_value(r, n)
            node = iri(ID[f"finding/{key}-{index}"])
            sentence = self.sentence(
                f"SYNTHETIC (not a real finding): {label} reports r = {r:.2f} (95% CI [{lo}, {hi}], "
                f"p {relation} {p}, N = {n}) between {a.label} and {b.label}."
            )
            first = first or sentence
            self.finding_head(node, study, publication, PEARSON_R, f"{r:.2f}", sentence)
            self.lines += [
                f"{node} {iri(EKG.fromConstruct)} {iri(a.iri)} {g}",
                f"{node} {iri(EKG.toConstruct)} {iri(b.iri)} {g}",
                f"{node} {iri(EKG.sampleSize)} {typed(n, 'integer')} {g}",
                f"{node} {iri(EKG.ciLower)} {typed(lo, 'decimal')} {g}",
                f"{node} {iri(EKG.ciUpper)} {typed(hi, 'decimal')} {g}",
                f"{node} {iri(EKG.confidenceLevel)} {typed('0.95', 'decimal')} {g}",
                f"{node} {iri(EKG.pValue)} {typed(p, 'decimal')} {g}",
                f"{node} {iri(EKG.pValueRelation)} {text(relation)} {g}",
            ]
        return first

    def trial_findings(self, key: str, study: str, publication: str, label: str, count: int) -> str:
        """`count` comparisons of one trial against a control (Hedges' g and its SE); returns the first sentence."""
        rng, g = self.rng, self.graph
        control = rng.choice(CONTROLS)
        n2 = max(8, min(2_000, round(rng.lognormvariate(math.log(40), 0.7))))
        rater_word, rater = rng.choice(RATERS)
        instrument = rng.choice(INSTRUMENTS)
        first = ""
        for index, therapy in enumerate(rng.sample(THERAPIES, count), start=1):
            n1 = max(8, min(2_000, round(rng.lognormvariate(math.log(40), 0.7))))
            truth = {"wl": 0.8, "cau": 0.5}.get(control, 0.4)
            se = math.sqrt((n1 + n2) / (n1 * n2) + truth**2 / (2 * (n1 + n2)))
            effect = round(rng.gauss(truth, math.sqrt(se**2 + 0.09)), 3)
            node = iri(ID[f"finding/{key}-{index}"])
            sentence = self.sentence(
                f"SYNTHETIC (not a real finding): {label} compares {METAPSY_CONDITIONS[therapy][1]} (n = {n1}) with "
                f"{METAPSY_CONDITIONS[control][1]} (n = {n2}) on {instrument} ({rater_word}, post): g = {effect:.3f}, SE = {se:.3f}."
            )
            first = first or sentence
            self.finding_head(node, study, publication, HEDGES_G, f"{effect:.3f}", sentence)
            self.lines += [
                f"{node} {iri(EKG.interventionCondition)} {iri(ID['condition/' + METAPSY_CONDITIONS[therapy][0]])} {g}",
                f"{node} {iri(EKG.comparatorCondition)} {iri(ID['condition/' + METAPSY_CONDITIONS[control][0]])} {g}",
                f"{node} {iri(EKG.toConstruct)} {iri(DEPRESSIVE_SYMPTOMS)} {g}",
                f"{node} {iri(EKG.instrument)} {iri(ID['measure/' + instrument])} {g}",
                f"{node} {iri(EKG.standardError)} {typed(f'{se:.3f}', 'decimal')} {g}",
                f"{node} {iri(EKG.timePoint)} {text('post')} {g}",
                f"{node} {iri(EKG.raterPerspective)} {iri(rater)} {g}",
                f"{node} {iri(EKG.arm1SampleSize)} {typed(n1, 'integer')} {g}",
                f"{node} {iri(EKG.arm2SampleSize)} {typed(n2, 'integer')} {g}",
            ]
        return first


def bisect(sums: list[float], value: float) -> int:
    """The first index whose running sum reaches the value."""
    lo, hi = 0, len(sums)
    while lo < hi:
        mid = (lo + hi) // 2
        if sums[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def document_slug(findings: int, seed: int) -> str:
    """The slug of the synthetic source document (and of its ingest graph)."""
    return f"synthetic-s{seed}-n{findings}"


def document_lines(findings: int, seed: int, graph: str) -> Iterator[str]:
    """The source document, which says in its title and description that everything in it is synthetic."""
    node = iri(ID[f"document/{document_slug(findings, seed)}"])
    yield f"{node} {iri(RDF_TYPE)} {iri(EKG.SourceDocument)} {graph}"
    yield f"{node} {iri(DCTERMS.title)} {text(f'SYNTHETIC evidence base: {findings} generated findings (seed {seed}), not real research')} {graph}"
    yield f"{node} {iri(DCTERMS.description)} {text('Generated by `evidencekg synth` for benchmarks and load tests. Every study, publication, DOI (prefix 10.5555, Crossref test prefix), sentence and number in this graph is synthetic.')} {graph}"
    yield f"{node} {iri(DCTERMS['format'])} {text('application/n-quads (evidencekg synth)')} {graph}"
    yield f"{node} {iri(DCTERMS.type)} {text('synthetic')} {graph}"


def synth_lines(findings: int, seed: int = 1, progress: Progress | None = None, quads: bool = True) -> Iterator[str]:
    """Every line (without its final " .") of the synthetic evidence base: document, scheme, studies."""
    if findings < 1:
        raise ValueError("the number of findings must be at least 1")
    slug = document_slug(findings, seed)
    graph = iri(ingest_graph(slug)) if quads else ""
    yield from document_lines(findings, seed, graph)
    yield from scheme_lines(graph)
    writer = Writer(findings, seed, graph, str(ID[f"document/{slug}"]))
    number = 0
    while writer.written < findings:
        number += 1
        yield from writer.study(number)
        if progress is not None and number % 500 == 0:
            progress(writer.written, findings)
    if progress is not None:
        progress(writer.written, findings)


def write_synth(out: Path, findings: int, seed: int = 1, progress: Progress | None = None) -> int:
    """Write the synthetic base to `out` (.nq N-Quads in its ingest graph, .nt N-Triples, .ttl Turtle); returns its triples."""
    suffix = out.suffix.lower()
    if suffix not in (".nq", ".nt", ".ttl"):
        raise ValueError(f"{out}: write .nq (N-Quads), .nt (N-Triples) or .ttl (Turtle)")
    lines = synth_lines(findings, seed, progress, quads=suffix == ".nq")
    count = 0
    if suffix == ".ttl":  # small bases for people to read: parsed and pretty-printed by Oxigraph
        data = "".join(f"{line.rstrip()} .\n" for line in lines)
        triples = list(ox.parse(data.encode(), format=ox.RdfFormat.N_TRIPLES))
        out.write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=turtle_prefixes()))  # type: ignore[arg-type]
        return len(triples)
    with out.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        batch: list[str] = []
        for line in lines:
            batch.append(line.rstrip() + " .\n")
            if len(batch) >= 100_000:
                handle.write("".join(batch))
                count += len(batch)
                batch.clear()
        handle.write("".join(batch))
        count += len(batch)
    return count


def turtle_prefixes() -> dict[str, str]:
    """The prefixes a Turtle synthetic base is written with."""
    return {"ekg": str(EKG), "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV), "bibo": str(BIBO), "xsd": XSD}
