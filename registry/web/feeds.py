"""The Atom feed of the registry's latest changes, for people who follow it in a feed reader.

Machines that keep a copy of the registry use the API's change feed, which pages and resumes;
this feed shows the latest entries only.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Change
from registry.roles import public_role
from registry.web.templatetags.web import resource_label
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
            "type": item.resource_type,
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
