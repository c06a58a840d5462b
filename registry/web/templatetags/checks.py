"""Template helpers of the check page: the summary line of a set of verdicts, class names."""

from django import template

from registry import jobs
from registry.verdicts import ClassBasis
from registry.web.templatetags.web import loc

register = template.Library()


@register.filter
def verdict_summary(results) -> jobs.Summary:
    """How many of the check's results (CheckView items or verdict rows) came out which way."""
    statuses = []
    for item in results or ():
        if isinstance(item, dict):
            statuses.append(item.get("status"))
        else:
            result = getattr(item, "result", item)
            statuses.append(result.status)
    return jobs.Summary.of(statuses)


@register.filter
def class_names(uids, matches) -> list[str]:
    """The names, in the page's language, of the classes `uids` among a verdict's matches (the
    per-jurisdiction rows name classes by uid)."""
    names = {
        m.substance_class.uid: loc(m.substance_class)
        for m in matches or ()
        if isinstance(m, ClassBasis)
    }
    return [names.get(uid, uid) for uid in uids or ()]
