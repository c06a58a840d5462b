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
# A spelled letter run into a capital, as in "alphaPVP" or "betaCEC": the capital says where
# the word ends. Not in a word written in capitals (ALPHAPRODINE) or in lowercase
# (alphaprodine, alphacetylmethadol), where the letters run on as part of the name.
_SPELLED_CAMEL_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _SPELLED) + r")(?=[A-Z])"
)
_DROP_RE = re.compile(
    r"[\s\-‐‑‒–—―_,.;:'\"`’‘“”()\[\]{}（）【】《》、，。·・/\\+\u00ad\u200b-\u200d\u2060\ufeff]+"
)
INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
"""Characters that show nothing (zero-width space and joiners, soft hyphen, byte-order mark):
pasted with a name or a structure, they are not part of it."""


def search_key(text: str) -> str:
    """The normalized key under which a name is found: see the module docstring."""
    if not text:
        return ""
    # NFKC turns full-width letters, digits and punctuation into their ordinary forms.
    folded = unicodedata.normalize("NFKC", text)
    folded = _SPELLED_CAMEL_RE.sub(lambda m: _SPELLED[m.group(1).lower()], folded).casefold()
    folded = "".join(_GREEK.get(ch, ch) for ch in folded)
    folded = _SPELLED_RE.sub(lambda m: _SPELLED[m.group(1)], folded)
    return _DROP_RE.sub("", folded)


# Greek letters as a name is ordered: spelled out, as the same names are written elsewhere.
_GREEK_SPELLED = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "μ": "mu",
    "ω": "omega",
}
GREEK_LETTERS = "".join(_GREEK_SPELLED) + "".join(_GREEK_SPELLED).upper()
"""The letters `sort_name` spells out, in both cases."""
# A letter standing alone, as a symbol ("β-", "Δ9"): one in a Greek word is left as it is.
_LONE_GREEK_RE = re.compile(
    "(?<![\u0370-\u03ff])[" + "".join(_GREEK_SPELLED) + "](?![\u0370-\u03ff])"
)


def sort_name(text: str) -> str:
    """A name as names are ordered A-Z: casefolded, so that "alpha-PVP" and "Alpha-PVP" sit
    together; a Greek letter standing alone spelled out, so that "β-Hydroxythiofentanyl" sits
    among the "beta-" names and not after "Z"; compared code point by code point."""
    return _LONE_GREEK_RE.sub(lambda m: _GREEK_SPELLED[m.group()], (text or "").casefold())


def ascii_digits(text: str) -> str:
    """NFKC, then every decimal digit of any script (full-width, Arabic-Indic, ...) as ASCII."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in folded
    )


def normalize_cas(text: str) -> str:
    """A CAS number in its canonical hyphenated form, from any spacing or hyphenation.

    Digits of any script count as digits, and leading zeros are dropped (CAS numbers have
    none), so 0437-38-7 and ４３７－３８－７ both give 437-38-7. Returns "" when the text is not
    shaped like a CAS number (2-7 digits, 2 digits, 1 digit).
    """
    digits = re.sub(
        r"[\s\-‐‑‒–—―−－]", "", ascii_digits(INVISIBLE_RE.sub("", text)), flags=re.ASCII
    )
    if not re.fullmatch(r"[0-9]{3,}", digits):
        return ""
    head = digits[:-3].lstrip("0")
    if not 2 <= len(head) <= 7:
        return ""
    return f"{head}-{digits[-3:-1]}-{digits[-1]}"


_DASHES_RE = re.compile(r"[‐‑‒–—―−－]")
_STORED_CAS_RE = re.compile(r"0*([1-9][0-9]*)-([0-9]{2})-([0-9])", re.ASCII)


def canonical_cas(text: str) -> str:
    """A CAS RN as it is stored, validated and compared: NFKC, ASCII digits, no leading zeros.

    Only the writing of the digits is folded (full-width or other-script digits, dash
    variants, leading zeros); a number of the wrong shape is returned as it is (trimmed),
    for the validator to refuse with its reason.
    """
    folded = _DASHES_RE.sub("-", ascii_digits(text).strip())
    match = _STORED_CAS_RE.fullmatch(folded)
    return "-".join(match.groups()) if match else folded


# A cation after the name names a salt of it: "pentobarbital sodium", "fospropofol disodium"
# (USAN and USP names of a drug's salts), 戊巴比妥钠 in Chinese. Read here and by the search's
# related keys (substances.search).
CATIONS = ("disodium", "dipotassium", "sodium", "potassium", "calcium", "magnesium")
CATIONS_ZH = ("二钠", "钠", "钾", "钙", "镁")

# Words that name a salt or solvate form rather than a substance: "ketamine hydrochloride" is a
# salt of ketamine, 盐酸氯胺酮 likewise. Only used when the whole name is not known itself.
_SALT_WORDS_EN = (
    "dihydrochloride|hydrochloride|hcl|hydrobromide|hbr|hydroiodide|bisulfate|hemisulfate|"
    "sulfate|sulphate|bitartrate|tartrate|citrate|dihydrogen phosphate|phosphate|maleate|"
    "fumarate|mesylate|mesilate|methanesulfonate|besylate|besilate|tosylate|acetate|succinate|"
    "oxalate|lactate|nitrate|napadisylate|pamoate|salicylate|benzoate|gluconate|"
    "monohydrate|dihydrate|sesquihydrate|hemihydrate|hydrate|sodium salt|potassium salt|salt|"
    + "|".join(CATIONS)
)
_SALT_SUFFIX_RE = re.compile(r"^(.+?)(?:[\s,]+(?:" + _SALT_WORDS_EN + r"))+\s*$", re.IGNORECASE)
_SALT_PREFIX_ZH_RE = re.compile(
    r"^(?:盐酸|硫酸|磷酸|重酒石酸|酒石酸|枸橼酸|柠檬酸|氢溴酸|马来酸|富马酸|甲磺酸|苯磺酸|醋酸|乙酸|草酸)(.+)$"
)
_SALT_SUFFIX_ZH_RE = re.compile(
    r"^(.+?)(?:盐酸盐|硫酸盐|磷酸盐|酒石酸盐|枸橼酸盐|氢溴酸盐|一水合物|水合物|盐|"
    + "|".join(CATIONS_ZH)
    + ")$"
)


def salt_free_key(text: str) -> str:
    """The search key of a name with its salt or hydrate words taken away, or "" if it has none.

    "Ketamine hydrochloride", "ketamine HCl" and 盐酸氯胺酮 give the key of "ketamine";
    "pentobarbital sodium" and 戊巴比妥钠 that of "pentobarbital".
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).strip()
    for pattern in (_SALT_SUFFIX_RE, _SALT_PREFIX_ZH_RE, _SALT_SUFFIX_ZH_RE):
        match = pattern.match(folded)
        if match and match.group(1).strip():
            key = search_key(match.group(1))
            if key and key != search_key(folded):
                return key
    return ""
