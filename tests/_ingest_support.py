"""Small files the ingest tests write themselves: a correlation sheet and a Metapsy-format excerpt."""

from __future__ import annotations

SHEET_HEADER = "study,authors,year,title,doi,n,r,construct_a,construct_b,rater,mod_setting"
SHEET_ROWS = [
    "s1,Alpha A.; Beta B.,2010,Study one,10.1234/one,80,-0.12,attachment-anxiety,therapeutic-alliance,patient,out",
    "s2,Gamma C.,2015,Study two,10.1234/two,150,-0.05,attachment-anxiety,therapeutic-alliance,therapist,in",
    's3,"Delta, D.",2020,Study three,doi:10.1234/three,60,-.20,attachment-anxiety,therapeutic-alliance,observer,out',
]

METAPSY_HEADER = '"";"study";"condition_arm1";"condition_arm2";".g";".g_se";"instrument";"rating";"time";"n_arm1";"n_arm2";"year";"country";"full_ref"'
METAPSY_ROWS = [
    '"1";"Aardvark, 2001";"cbt";"wl";0,8;0,25;"bdi-2";"self-report";"post";30;31;2001;"us";"Aardvark A (2001). A trial. J Test 1:1-2. doi:10.1234/aard"',
    '"2";"Aardvark, 2001";"cbt";"wl";0,6;0,24;"hdrs-17";"clinician";"post";30;31;2001;"us";"Aardvark A (2001). A trial. J Test 1:1-2. doi:10.1234/aard"',
    '"3";"Badger, 2010";"cbt";"cau";0,3;0,2;"phq-9";"self-report";"post";50;48,5;2010;"uk";"Badger B (2010). Another trial."',
    '"4";"Cat, 2015";"pst";"wl";1,1;0,3;"bdi-2";"self-report";"post";NA;NA;2015;NA;"Cat C (2015). Third trial."',
]

# The excerpt's rows are invented: they credit a test DOI, never the real depression database's.
METAPSY_OPTIONS = {"dataset_doi": "10.1234/metapsy-excerpt", "outcome": "depressive symptoms",
                   "title": "Invented rows in the Metapsy data standard (evidencekg tests)"}  # fmt: skip


def sheet(rows: list[str] | None = None, header: str = SHEET_HEADER) -> bytes:
    """A correlation sheet as bytes."""
    return ("\n".join([header, *(SHEET_ROWS if rows is None else rows)]) + "\n").encode()


def metapsy(rows: list[str] | None = None) -> bytes:
    """A Metapsy-standard excerpt as bytes (invented rows in the real format)."""
    return ("\n".join([METAPSY_HEADER, *(METAPSY_ROWS if rows is None else rows)]) + "\n").encode()


def with_columns(data: bytes, columns: dict[str, list[str]], sep: str = ";") -> bytes:
    """A file with extra columns appended (one value per data row, written as given)."""
    lines = data.decode().rstrip("\n").split("\n")
    header = lines[0] + "".join(f'{sep}"{name}"' if sep == ";" else f"{sep}{name}" for name in columns)
    rows = [line + "".join(f"{sep}{values[i]}" for values in columns.values()) for i, line in enumerate(lines[1:])]
    return ("\n".join([header, *rows]) + "\n").encode()
