"""The one question and its four faces, as the tablet by the door (feedback/) and the phone (phone/) both ask it.

Pictograms first, words under them, in the visitor's language. The SVG faces are drawn by the template macro
`_faces.html` from each face's mouth and colour here, so both pages show the very same smileys.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

QUESTION = _l("How was your visit today?")
THANKS = _l("Thank you for your answer!")


@dataclass(frozen=True, slots=True)
class Face:
    score: int  # 1 very unhappy … 4 very happy (domain/feedback.py SCORES)
    name: str  # its CSS class and id
    word: object  # lazy translated word under the face
    mouth: str  # the SVG path of its mouth, on a 100 × 100 face


FACES = (
    Face(1, "very-unhappy", _l("Very unhappy"), "M28 74 Q50 52 72 74"),
    Face(2, "unhappy", _l("Unhappy"), "M32 70 Q50 60 68 70"),
    Face(3, "happy", _l("Happy"), "M32 64 Q50 76 68 64"),
    Face(4, "very-happy", _l("Very happy"), "M26 60 Q50 88 74 60 Z"),
)


def spoken(thanks: bool = False) -> str:
    """What "read aloud" says: the question and the four answers in order, or the thanks."""
    if thanks:
        return str(THANKS)
    return " ".join([str(QUESTION), *(f"{f.word}." for f in FACES)])
