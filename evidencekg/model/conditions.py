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
