"""The Atom feed of the registry's latest changes, for people who follow it in a feed reader.

Machines that keep a copy of the registry use the API's change feed, which pages and resumes;
this feed shows the latest entries only.
"""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import history
from registry.models import Change, Schedule
from registry.roles import public_role
from registry.web.templatetags.web import cite, loc, resource_label
from registry.web.views import change_title, listing_names

FEED_SIZE = 50


class ChangesFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Controlled-substance registry: latest changes")
    subtitle = gettext_lazy("Every change to the public record, newest first.")

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def link(self):
        return reverse("web:changes")

    def items(self):
        changes = list(
            Change.objects.select_related("actor")
            .prefetch_related("actor__groups")
            .order_by("-seq")[:FEED_SIZE]
        )
        self.names = listing_names(changes)
        return changes

    def item_title(self, item: Change) -> str:
        title, _url = change_title(item, self.names)
        actions = dict(Change.Action.choices)
        return _("%(action)s %(type)s: %(title)s") % {
            "action": actions.get(item.action, item.action),
            "type": resource_label(item.resource_type),
            "title": title,
        }

    def item_description(self, item: Change) -> str:
        # The public sees a role, never an account name (a name is half a login).
        return _("Change %(seq)d, %(type)s %(uid)s, by %(actor)s.") % {
            "seq": item.seq,
            "type": resource_label(item.resource_type),
            "uid": item.uid,
            "actor": public_role(item.actor, item.via),
        }

    def item_link(self, item: Change) -> str:
        _title, url = change_title(item, self.names)
        return url or f"{reverse('web:changes')}#change-{item.seq}"

    def item_guid(self, item: Change) -> str:
        return self.request.build_absolute_uri(f"{reverse('web:changes')}#change-{item.seq}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: Change):
        return item.at

    def item_updateddate(self, item: Change):
        return item.at


class ScheduleFeed(Feed):
    """One list's legal changes, one entry per day on which entries took effect or ended.

    For people who follow a list: what the law added to it, moved onto or off it and removed,
    by effective date (registry.history), not the registry's edit log.
    """

    feed_type = Atom1Feed
    DAYS = 30

    def get_object(self, request, uid: str):
        self.request = request
        return get_object_or_404(Schedule.objects.select_related("jurisdiction"), uid=uid)

    def title(self, schedule: Schedule) -> str:
        return _("%(list)s: legal changes") % {"list": loc(schedule)}

    def subtitle(self, schedule: Schedule) -> str:
        return _("Entries added, moved and removed, by the day they took effect.")

    def link(self, schedule: Schedule) -> str:
        return f"{reverse('web:whats-new')}?{urlencode({'schedule': schedule.uid})}"

    def items(self, schedule: Schedule):
        self.schedule = schedule
        return history.legal_changes(schedule=schedule.uid, days=self.DAYS)

    def item_title(self, item: history.DayChanges) -> str:
        return _("%(day)s: %(added)d added, %(moved)d moved, %(removed)d removed") % {
            "day": item.day.isoformat(),
            "added": len(item.added),
            "moved": len(item.moved),
            "removed": len(item.removed),
        }

    def item_description(self, item: history.DayChanges) -> str:
        parts = []
        for label, entries in (
            (_("Added"), item.added),
            (_("Moved"), item.moved),
            (_("Removed"), item.removed),
        ):
            if entries:
                names = "; ".join(loc(e.subject) for e in entries)
                parts.append(f"{label}: {names}")
        cited = "; ".join(cite(i) for i in item.instruments)
        if cited:
            parts.append(f"{_('By')}: {cited}")
        return "\n".join(parts)

    def item_link(self, item: history.DayChanges) -> str:
        query = {
            "jurisdiction": self.schedule.jurisdiction.code,
            "start": (item.day - datetime.timedelta(days=1)).isoformat(),
            "end": item.day.isoformat(),
            "schedule": self.schedule.uid,
        }
        return f"{reverse('web:diff')}?{urlencode(query)}"

    def item_guid(self, item: history.DayChanges) -> str:
        return self.request.build_absolute_uri(
            f"{reverse('web:schedule', kwargs={'uid': self.schedule.uid})}#{item.day.isoformat()}"
        )

    item_guid_is_permalink = False

    def item_pubdate(self, item: history.DayChanges):
        return datetime.datetime.combine(item.day, datetime.time(), tzinfo=datetime.UTC)

    def item_updateddate(self, item: history.DayChanges):
        return self.item_pubdate(item)
