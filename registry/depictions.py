"""Structures shown and shared, for the faces: drawings (SVG), MDL molfiles, and the public
records of the same compound elsewhere (by InChIKey or CAS number).

The public site and the API never read structures themselves: what they show of one comes from
here or from a verdict of the check (`registry.check.CheckResult.drawing`). A drawing costs
milliseconds to make and depends on nothing but its input, so drawings are cached by content.
"""

import hashlib
from collections.abc import Iterable

from django.core.cache import cache

from registry.cache import KEPT_AHEAD_SECONDS, derived
from substances import chemistry
from substances.models import Substance

RECORD_DRAWING = {"width": 360, "height": 260}
"""The size of the drawing on a substance's page."""


def structure_svg(
    structure: str, atoms: Iterable[int] = (), *, width: int = 300, height: int = 220
) -> str:
    """An SVG drawing of a structure (with atoms highlighted); "" if it cannot be drawn."""
    if not structure:
        return ""
    atoms = sorted(atoms)
    return derived(
        _svg_key(structure, atoms, width, height),
        lambda: _draw(structure, atoms, width=width, height=height),
    )


def _svg_key(structure: str, atoms: list[int], width: int, height: int) -> str:
    digest = hashlib.sha256(f"{structure}|{atoms}|{width}x{height}".encode()).hexdigest()
    return f"drawing:svg:{digest}"


def _draw(structure: str, atoms: list[int], *, width: int, height: int) -> str:
    try:
        return chemistry.depict_svg(structure, atoms, width=width, height=height)
    except chemistry.ChemistryError:
        return ""


def keep_drawings(
    structures: Iterable[str], *, width: int, height: int, refresh: bool = False
) -> int:
    """Draw each structure (no atoms highlighted) not drawn yet at that size, and keep the
    drawing where `structure_svg` reads it: how many were drawn. With `refresh`, the drawings
    kept already are kept anew (see `registry.cache.KEPT_AHEAD_SECONDS`)."""
    keys = {_svg_key(s, [], width, height): s for s in structures if s}
    kept = cache.get_many(list(keys))
    drawn = {
        key: _draw(s, [], width=width, height=height) for key, s in keys.items() if key not in kept
    }
    cache.set_many((kept if refresh else {}) | drawn, KEPT_AHEAD_SECONDS)
    return len(drawn)


def pattern_svg(smarts: str) -> str:
    """A drawing of a class rule's pattern, where RDKit can draw it; "" otherwise."""

    def draw() -> str:
        try:
            return chemistry.depict_svg(chemistry.compile_smarts(smarts).pattern, width=260)
        except Exception:  # some query features cannot be drawn: the text is shown instead
            return ""

    return derived(_pattern_key(smarts), draw)


def _pattern_key(smarts: str) -> str:
    return f"drawing:smarts-svg:{hashlib.sha256(smarts.encode()).hexdigest()}"


def keep_pattern_drawing(smarts: str, *, refresh: bool = False) -> None:
    """Draw a class rule's pattern where it is not kept; with `refresh`, keep it anew (see
    `registry.cache.KEPT_AHEAD_SECONDS`)."""
    drawing = pattern_svg(smarts)
    if refresh:
        cache.set(_pattern_key(smarts), drawing, KEPT_AHEAD_SECONDS)


def structure_file(substance: Substance, *, url: str = "", sdf: bool = False) -> str | None:
    """The substance's structure as an MDL molfile, or with `sdf` as an SD record carrying its
    names, CAS number, InChIKey and `url`; None when it has no structure that can be written."""
    if not substance.smiles:
        return None
    properties = None
    if sdf:
        properties = {
            "uid": substance.uid,
            "name_en": substance.name_en,
            "name_zh": substance.name_zh,
            "cas": substance.cas,
            "inchikey": substance.inchikey,
            "url": url,
        }
    try:
        return chemistry.molfile(substance.smiles, title=substance.name_en, properties=properties)
    except chemistry.ChemistryError:
        return None


def records_elsewhere(substance: Substance) -> list[tuple[str, str]]:
    """Public records of the same compound elsewhere, found by InChIKey or CAS number."""
    links = []
    if substance.inchikey:
        key = substance.inchikey
        links += [
            ("PubChem", f"https://pubchem.ncbi.nlm.nih.gov/#query={key}"),
            ("ChemSpider", f"https://www.chemspider.com/Search.aspx?q={key}"),
            ("NIST Chemistry WebBook", f"https://webbook.nist.gov/cgi/cbook.cgi?InChI={key}"),
            (
                "Wikidata",
                f"https://www.wikidata.org/w/index.php?search=haswbstatement%3AP235%3D{key}",
            ),
        ]
    if substance.cas:
        links.append(
            (
                "CAS Common Chemistry",
                f"https://commonchemistry.cas.org/detail?cas_rn={substance.cas}",
            )
        )
    return links
