"""Template helpers of the public site: names in the page's language, and structure drawings."""

import re

from django import template
from django.urls import translate_url
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from registry.models import chinese_language, citation
from registry.web.phrases import chemistry_reasons
from substances.models import Substance

register = template.Library()

# (English attribute, Chinese attribute) pairs, in the order they are looked for.
_NAME_PAIRS = (("name_en", "name_zh"), ("title_en", "title_zh"), ("name", "name_zh"))

# What an inline SVG must never carry: scripts, event handlers, foreign content, links out.
_UNSAFE_SVG_RE = re.compile(
    r"<\s*(script|foreignObject|iframe|object|embed|a\b)|\son\w+\s*=|javascript:|href\s*=",
    re.IGNORECASE,
)


def _has(obj, attr: str) -> bool:
    return attr in obj if isinstance(obj, dict) else hasattr(obj, attr)


def _get(obj, attr: str) -> str:
    if isinstance(obj, dict):
        return obj.get(attr) or ""
    return getattr(obj, attr, "") or ""


def _names(obj) -> tuple[str, str]:
    for en, zh in _NAME_PAIRS:
        if _has(obj, en) and (_get(obj, en) or _get(obj, zh)):
            return _get(obj, en), _get(obj, zh)
    return str(obj or ""), ""


@register.filter
def loc(obj) -> str:
    """The object's name (or title) in the page's language, falling back to the other one."""
    en, zh = _names(obj)
    return (zh or en) if chinese_language() else (en or zh)


@register.filter
def alt(obj) -> str:
    """The object's name in the other language, when it has one that differs."""
    en, zh = _names(obj)
    other = en if chinese_language() else zh
    return other if other and other != loc(obj) else ""


@register.filter
def inline_svg(svg: str) -> str:
    """Mark a drawing of the core (registry.depictions, the check) safe to inline, once checked.

    The drawings are made by RDKit from structures, and structure text can carry labels; a
    drawing with anything that could act (script, handler, link) is not shown.
    """
    if not svg or not svg.lstrip().startswith("<svg") or _UNSAFE_SVG_RE.search(svg):
        return ""
    return mark_safe(svg)  # checked just above


@register.simple_tag
def lang_attr(text: str) -> str:
    """A lang attribute for a name written in the other language than the page's."""
    if not text:
        return ""
    chinese = bool(re.search(r"[\u3400-\u9fff]", text))
    if chinese and not chinese_language():
        return format_html(' lang="{}"', "zh-Hans")
    if not chinese and chinese_language() and re.search(r"[A-Za-z]", text):
        return format_html(' lang="{}"', "en")
    return ""


@register.simple_tag(takes_context=True)
def url_in(context, language: str) -> str:
    """This page's address in another language (the same page when it has none).

    Built from the path alone, as a path: `//evil.example/x` would otherwise come back as a
    link to another site.
    """
    request = context.get("request")
    if request is None:
        return ""
    path = "/" + request.get_full_path().lstrip("/")
    translated = translate_url(path, language)
    return "/" + translated.lstrip("/") if translated.startswith("/") else path


@register.simple_tag
def citation_of(reference: str, title_en: str, title_zh: str) -> str:
    """An instrument cited from its parts (for rows of plain values; see `citation`)."""
    return citation(reference, title_en, title_zh)


@register.filter
def scope_text(scope: str) -> str:
    """A listing's scope in the page's language.

    Scopes are written in English, clauses separated by "; ", from the small vocabulary of the
    lists' footnotes (registry.web.phrases); the Chinese pages show each clause translated,
    joined with a full-width semicolon, and a clause without a translation as it is. A list's
    own Chinese remark is kept in its words with an English gloss after it ("包括含曲马多复方制剂
    (including compound preparations containing tramadol)"): the Chinese pages show the remark
    alone.
    """
    if not scope or not chinese_language():
        return scope or ""
    return "；".join(_clause_zh(clause.strip()) for clause in scope.split("; ") if clause.strip())


# A Chinese remark followed by its English gloss in parentheses.
_GLOSSED_REMARK = re.compile(r"(?P<remark>[^\x00-\x7f].*?) \((?P<gloss>[\x00-\x7f]+)\)")


def _clause_zh(clause: str) -> str:
    if glossed := _GLOSSED_REMARK.fullmatch(clause):
        return glossed["remark"]
    return gettext(clause)


@register.filter
def reason_text(reason: str) -> str:
    """A reason of the check or the search (why a verdict is what it is, why a structure could
    not be read) in the page's language: the check writes its own sentences in it, and the
    chemistry's reasons they quote, written in English, are translated here on the Chinese
    pages (see `registry.web.phrases.chemistry_reasons`)."""
    if not reason or not chinese_language():
        return reason or ""
    return chemistry_reasons(reason)


_CHINESE_PUNCTUATION = {
    ", ": "，",
    "; ": "；",
    ": ": "：",
    ".": "。",
    " (": "（",
    "(": "（",
    ")": "）",
    " ": "",
}


@register.simple_tag
def punct(mark: str) -> str:
    """A punctuation mark of running text (", ", "; ", ": ", ".", " (", "(", ")" or a space
    between words) as the page's language writes it: full width, without the space, on the
    Chinese pages."""
    return _CHINESE_PUNCTUATION.get(mark, mark) if chinese_language() else mark


@register.filter
def since_line(since: dict) -> str:
    """Per jurisdiction, since when a subject has been controlled without a break, as one line
    in the page's language ("" when it is not controlled): written here, not looped over in
    the template, because a page of results shows it fifty times."""
    if not since:
        return ""
    days = punct("; ").join(f"{code} {day}" for code, day in since.items())
    return gettext("Controlled without a break since:") + punct(" ") + days


@register.filter
def class_tags(controls, possible: bool = False) -> str:
    """The whole classes covering a result (`registry.check.ClassControl`), as the items of
    its list of tags, each linking to the class's page (see `since_line` for why here).
    `possible`: classes whose definitions also ask what a structure cannot show, said so."""
    note = (
        punct("(")
        + (
            gettext("whole class, if it meets the condition")
            if possible
            else gettext("whole class")
        )
        + punct(")")
    )
    return format_html_join(
        "",
        '<li><a href="{}"{}>{}</a> <span class="small">{}</span></li>',
        (
            (c.url, lang_attr(loc(c.substance_class)), loc(c.substance_class), note)
            for c in controls
        ),
    )


_UNCERTAIN_LABELS = {
    "date": gettext_lazy("Uncertain (date)"),
    "condition": gettext_lazy("Uncertain (beyond structure)"),
    "preparation": gettext_lazy("Uncertain (preparation)"),
    "identity": gettext_lazy("Uncertain (which isomer)"),
    "form": gettext_lazy("Uncertain (reach of the entry)"),
    "members": gettext_lazy("Uncertain (which member)"),
}


@register.filter
def one_list_or_another(matches, code: str) -> bool:
    """Whether a jurisdiction's lists in a verdict are alternatives: a basis there is one entry
    or another (`ListingBasis.entry_uncertain`: a preparation within limits the record does
    not state, a mixture that may be a preparation an entry names)."""
    return any(
        getattr(m, "entry_uncertain", "") and m.listed.schedule.jurisdiction == code
        for m in matches or ()
    )


@register.filter
def uncertain_label(verdict) -> str:
    """Why a verdict is `uncertain`, as its label says: a check result (`CheckResult`) or one
    jurisdiction's verdict (`JurisdictionVerdict`). An act's date not known precisely comes
    first, then a class condition a structure cannot show, then a preparation whose
    ingredient is controlled."""
    because = getattr(verdict, "uncertain_because", None)
    if because is None:  # a whole result: from its bases
        matches = getattr(verdict, "matches", ())
        because = [
            why
            for why, present in (
                ("date", any(getattr(m, "date_uncertain", "") for m in matches)),
                ("condition", any(getattr(m, "condition", "") for m in matches)),
                ("identity", any(getattr(m, "identity_uncertain", "") for m in matches)),
                ("form", any(getattr(m, "form_uncertain", "") for m in matches)),
                ("preparation", bool(getattr(verdict, "preparation_open", ()))),
                ("members", bool(getattr(verdict, "members_open", ()))),
            )
            if present
        ]
    return str(_UNCERTAIN_LABELS[because[0]] if because else _UNCERTAIN_LABELS["date"])


_IDENTIFIER_REASONS = {
    "cas": gettext_lazy("same CAS number"),
    "inchikey": gettext_lazy("same InChIKey"),
    None: gettext_lazy("identical structure"),
}
_STRUCTURE_REASONS = {
    "SAME_PARENT": gettext_lazy("same compound (salt or charge form)"),
    "SAME_SKELETON": gettext_lazy("stereoisomer or isotope form"),
}
_NAME_REASONS = {
    "EXACT": gettext_lazy("name"),
    "PREFIX": gettext_lazy("name starts with it"),
    "CONTAINS": gettext_lazy("name contains it"),
    "VARIANT": gettext_lazy("name contains it in another spelling"),
    "CLOSE": gettext_lazy("close spelling"),
}


@register.filter
def hit_reason(hit) -> str:
    """Why a search result was found (`substances.search.Hit`): the identifier it shares, or
    the name that matched and how (see `since_line` for why here)."""
    tier = hit.tier.name
    if tier == "IDENTIFIER":
        return str(_IDENTIFIER_REASONS.get(hit.field) or _IDENTIFIER_REASONS[None])
    if tier in _STRUCTURE_REASONS:
        return str(_STRUCTURE_REASONS[tier])
    how = _NAME_REASONS.get(tier, _NAME_REASONS["CLOSE"])
    return format_html("{}{}<span>{}</span>", how, punct(": "), hit.matched)


@register.filter
def status_today(substance) -> str:
    """A search result's status today: its listings in force (`listings_on`), those reaching it
    through a relation and the whole classes covering it (`standing`), or that it is on no
    list by name (see `since_line` for why here)."""
    standing = substance.standing
    if not (substance.listings_on or standing.classes or standing.through):
        if standing.possible:
            return format_html(
                '<span class="status status-unknown">{}</span>\n<ul class="tags">{}</ul>',
                gettext("Uncertain (beyond structure)"),
                class_tags(standing.possible, possible=True),
            )
        return format_html(
            '<span class="status status-free">{}</span>', gettext("Not on a list by name")
        )
    tags = []
    for listing in substance.listings_on:
        scope = ""
        if listing.scope and len(listing.scope) < 60:
            scope = format_html(
                ' <span class="small">{}{}{}</span>',
                punct("("),
                scope_text(listing.scope),
                punct(")"),
            )
        tags.append(
            format_html(
                '<li><a href="{}">{}</a>{}</li>',
                listing.schedule.get_absolute_url(),
                loc(listing.schedule),
                scope,
            )
        )
    for coverage in standing.through:
        schedule = coverage.listing.schedule
        tags.append(
            format_html(
                '<li><a href="{}">{}</a> <span class="small">{}{}{}</span></li>',
                schedule.get_absolute_url(),
                loc(schedule),
                punct("("),
                coverage.explanation,
                punct(")"),
            )
        )
    return format_html(
        '<span class="status status-controlled">{}</span>\n<ul class="tags">{}{}{}</ul>',
        gettext("Controlled"),
        mark_safe("".join(tags)),  # each built by format_html
        class_tags(standing.classes),
        class_tags(standing.possible, possible=True),
    )


@register.filter
def in_language(obj, field: str) -> str:
    """A text field (`field`, and its Chinese `field_zh`) of an object or a dict in the page's
    language, falling back to the other one."""
    en, zh = _get(obj, field), _get(obj, f"{field}_zh")
    return (zh or en) if chinese_language() else (en or zh)


@register.filter
def description(obj) -> str:
    """An object's description in the page's language, falling back to the other one."""
    en, zh = _get(obj, "description"), _get(obj, "description_zh")
    return (zh or en) if chinese_language() else (en or zh)


@register.filter
def cite(instrument) -> str:
    """An instrument as cited in running text and lists (see `citation`)."""
    if instrument is None:
        return ""
    return citation(
        _get(instrument, "reference"), _get(instrument, "title_en"), _get(instrument, "title_zh")
    )


RESOURCE_LABELS = {
    "jurisdiction": pgettext_lazy("resource", "jurisdiction"),
    "schedule": pgettext_lazy("resource", "list"),
    "instrument": pgettext_lazy("resource", "announcement"),
    "substance": pgettext_lazy("resource", "substance"),
    "name": pgettext_lazy("resource", "name"),
    "precursor_use": pgettext_lazy("resource", "precursor use"),
    "class": pgettext_lazy("resource", "class"),
    "listing": pgettext_lazy("resource", "listing"),
}


@register.filter
def resource_label(resource_type: str) -> str:
    """The kind of a public resource in words, in the page's language."""
    return RESOURCE_LABELS.get(resource_type, resource_type)


_ROLES = {
    "precursor": pgettext_lazy("role", "precursor"),
    "pre-precursor": pgettext_lazy("role", "pre-precursor"),
    "precursor / substitute": pgettext_lazy("role", "precursor / substitute"),
    "solvent": pgettext_lazy("role", "solvent"),
    "acid": pgettext_lazy("role", "acid"),
    "acetylating agent": pgettext_lazy("role", "acetylating agent"),
    "oxidising agent": pgettext_lazy("role", "oxidising agent"),
    "reagent": pgettext_lazy("role", "reagent"),
    "natural source": pgettext_lazy("role", "natural source"),
}
_ROLE_RE = re.compile(r"^(?P<head>[^(]*?)\s*(?:\((?P<detail>.*)\))?$")


@register.filter
def role_text(role: str) -> str:
    """A precursor use's role (data, in English) in the language in use: its kind translated,
    "via X" said as such, the rest of the detail as written."""
    found = _ROLE_RE.match(role or "")
    if not found or found["head"].casefold() not in _ROLES:
        return role
    head = str(_ROLES[found["head"].casefold()])
    detail = found["detail"]
    if not detail:
        return head
    if detail.startswith("via "):
        what = detail[4:]
        # The data names the intermediate by its record's uid ("via pmk"): its name instead.
        record = Substance.objects.filter(uid=what).only("name_en", "name_zh").first()
        detail = gettext("via %(what)s") % {"what": loc(record) if record else what}
    if chinese_language():
        return f"{head}（{detail}）"
    return f"{head} ({detail})"


@register.filter
def condition_lines(smarts: str) -> list[str]:
    """A rule's condition lines (after its pattern) in words of the language in use:
    "R1: 3-8 C in its carbon skeleton; or a heterocycle" (none if they cannot be read)."""
    from registry.check import condition_words
    from substances.matching import parse_conditions

    try:
        lines = parse_conditions(smarts or "")
    except ValueError:
        return []
    said = []
    for line in lines:
        body = line.text.split(":", 1)[1] if ":" in line.text else line.text
        colon = "：" if chinese_language() else ": "
        said.append(f"{line.name}{colon}{condition_words(body.strip())}")
    return said
