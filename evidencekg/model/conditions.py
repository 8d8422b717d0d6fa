"""Format-specific code tables for trial conditions: data the name resolver and the ingest formats consult."""

from __future__ import annotations

from evidencekg.model.names import normal

# Metapsy condition codes -> (slug of id:condition/..., label); unknown codes keep their own code as label.
METAPSY_CONDITIONS: dict[str, tuple[str, str]] = {
    "cbt": ("cbt", "cognitive behaviour therapy"), "bat": ("behavioural-activation", "behavioural activation"),
    "pst": ("problem-solving-therapy", "problem solving therapy"),
    "ipt": ("interpersonal-psychotherapy", "interpersonal psychotherapy"),
    "dyn": ("psychodynamic-therapy", "psychodynamic therapy"), "lrt": ("life-review-therapy", "life review therapy"),
    "3rd": ("third-wave-therapy", "third-wave cognitive behavioural therapy"),
    "sup": ("supportive-counselling", "supportive counselling"),
    "other psy": ("other-psychotherapy", "other type of psychotherapy"),
    "cau": ("care-as-usual", "care as usual"), "wl": ("waitlist", "waitlist"),
    "pha": ("pharmacotherapy", "pharmacological treatment"),
    "other ctr": ("other-control", "other type of inactive control group"),
}  # fmt: skip

# Every way the table names a condition (code, slug, label), compared ignoring case, `-` and `_`.
_BY_NAME: dict[str, tuple[str, str]] = {
    normal(name): entry for code, entry in METAPSY_CONDITIONS.items() for name in (code, *entry)
}


def known_condition(code: str) -> tuple[str, str] | None:
    """(slug, label) of the condition a database's code names ("Waitlist", "WL", "CBT"), case ignored; None if unknown."""
    return _BY_NAME.get(normal(code))


# Metapsy study-characteristic codes -> what they mean, from the data standard's variable descriptions
# (metadata/variable_description.json of data-depression-psyctr); pick lists show "group (grp)".
METAPSY_CHARACTERISTICS: dict[str, dict[str, str]] = {
    "format": {"ind": "individual", "grp": "group", "gsh": "guided self-help", "tel": "telephone",
               "cpl": "couple therapy", "oth": "other (mixed formats)", "ush": "unguided self-help"},
    "country": {"us": "USA", "uk": "United Kingdom", "eu": "Europe", "can": "Canada", "au": "Australia",
                "eas": "East Asia", "oth": "other"},
    "age_group": {"adul": "adults", "old": "older adults (55+)", "olderold": "older old adults (75+)"},
    "recruitment": {"com": "community", "clin": "clinical", "oth": "other"},
    "diagnosis": {"mdd": "major depression", "mood": "mood disorder", "cut": "cut-off score",
                  "sub": "subclinical depression", "chr": "chronic depression"},
    "target_group": {"adul": "adults", "old": "older adults", "stud": "student population",
                     "ppd": "women with perinatal depression", "med": "comorbid medical disorder", "oth": "other"},
    "comorbid_mental": {"y": "yes", "n": "no"},
}  # fmt: skip


def characteristic_label(name: str, value: str) -> str:
    """How a pick list shows a study characteristic's value: "group (grp)" for a known Metapsy code, else the value.

    >>> characteristic_label("format", "grp"), characteristic_label("rob", "3")
    ('group (grp)', '3')
    """
    meaning = METAPSY_CHARACTERISTICS.get(name, {}).get(value.lower())
    return f"{meaning} ({value})" if meaning else value
