"""Template helpers of the check page: the summary line of a set of verdicts."""

from django import template

from registry import jobs

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
