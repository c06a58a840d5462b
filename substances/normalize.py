"""Search keys: the forgiving form of a name that people type.

A search key folds away what differs between the ways one name is written: case, full-width
characters, spaces, hyphens, commas, brackets and other punctuation, and Greek letters written
as a symbol, spelled out or abbreviated to a Latin letter (α-PVP, alpha-PVP and a-PVP share a key).
Chinese characters are kept as they are.
"""

import re
import unicodedata

# Greek letters as they appear in drug names, each folded to the Latin letter that people
# type in its place ("a-PVP"), which is also what the spelled-out name folds to.
_GREEK = {
    "α": "a",
    "β": "b",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "κ": "k",
    "μ": "m",
    "ω": "w",
}
_SPELLED = {
    "alpha": "a",
    "beta": "b",
    "gamma": "g",
    "delta": "d",
    "epsilon": "e",
    "kappa": "k",
    "omega": "w",
}
_SPELLED_RE = re.compile(r"(?<![a-z])(" + "|".join(_SPELLED) + r")(?![a-z])")
_DROP_RE = re.compile(r"[\s\-‐‑‒–—―_,.;:'\"`’‘“”()\[\]{}（）【】《》、，。·・/\\+]+")


def search_key(text: str) -> str:
    """The normalized key under which a name is found: see the module docstring."""
    if not text:
        return ""
    # NFKC turns full-width letters, digits and punctuation into their ordinary forms.
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(_GREEK.get(ch, ch) for ch in folded)
    folded = _SPELLED_RE.sub(lambda m: _SPELLED[m.group(1)], folded)
    return _DROP_RE.sub("", folded)


def normalize_cas(text: str) -> str:
    """A CAS number in its canonical hyphenated form, from any spacing or hyphenation.

    Returns "" when the text is not shaped like a CAS number (2-7 digits, 2 digits, 1 digit).
    """
    digits = re.sub(r"[\s\-‐‑–—－]", "", unicodedata.normalize("NFKC", text or ""))
    if not re.fullmatch(r"\d{5,10}", digits):
        return ""
    return f"{int(digits[:-3])}-{digits[-3:-1]}-{digits[-1]}"
