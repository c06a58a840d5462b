"""The curators' roles: who may do what in the admin and through the API.

Two groups, created by a data migration: a *Curator* keeps the registry's substances, names,
classes, instruments, listings and precursor uses, and prepares draft change sets; a *Reviewer*
may also publish them. Reference lists (jurisdictions, schedules) and the change feed are
read-only to both; nobody can edit or delete a change row, whatever their role. Staff accounts in
neither group see nothing in the admin.

Review (settings.REGISTRY_REQUIRE_REVIEW, on in production) decides what happens to a change of
the legal facts (listings, classes and their rules, instruments, and what decides how far an
entry reaches: the relations between substances and a list's coverage; see registry.drafts):

- review on: nobody changes the law alone. Whatever a Curator, a Reviewer or a superuser saves,
  deletes, reverts, lists, delists, reschedules or imports as a listing, in the admin or through
  the API, becomes a draft; a Reviewer (or superuser) other than the draft's author publishes it
  or discards it. The author may discard their own draft, never publish it. Substances, names
  and precursor uses say what a thing is, not whether it is controlled: they are saved at once
  (the relations typed on a substance's page are held, the rest of the page saved).
  Management commands run by the operator on the server (load_registry) are outside the review
  and are recorded in the feed as such (via "command").
- review off (the embedded default): Curators and Reviewers may also apply legal changes at
  once; the legal actions and the import still offer the draft first. Drafts are published as
  above, never by their author.

This module holds plain data and one function that takes the models as arguments, so that the
data migration can use it with the historical models.
"""

CURATOR = "Curator"
REVIEWER = "Reviewer"

_EDIT = ("add", "change", "delete", "view")

CURATOR_PERMISSIONS: tuple[tuple[str, str], ...] = (
    *((f"{verb}_substance", "substances") for verb in _EDIT),
    *((f"{verb}_name", "substances") for verb in _EDIT),
    *((f"{verb}_relation", "substances") for verb in _EDIT),
    *((f"{verb}_substanceclass", "substances") for verb in _EDIT),
    *((f"{verb}_classrule", "substances") for verb in _EDIT),
    *((f"{verb}_precursoruse", "substances") for verb in _EDIT),
    *((f"{verb}_instrument", "registry") for verb in _EDIT),
    *((f"{verb}_listing", "registry") for verb in _EDIT),
    ("view_jurisdiction", "registry"),
    ("view_schedule", "registry"),
    ("view_change", "registry"),
    ("add_draftchangeset", "registry"),
    ("change_draftchangeset", "registry"),
    ("view_draftchangeset", "registry"),
    ("view_draftoperation", "registry"),
)
REVIEWER_PERMISSIONS: tuple[tuple[str, str], ...] = (
    *CURATOR_PERMISSIONS,
    ("publish_draftchangeset", "registry"),
)
ROLES = {CURATOR: CURATOR_PERMISSIONS, REVIEWER: REVIEWER_PERMISSIONS}


def grant_roles(group_model, permission_model) -> None:
    """Create the groups if needed and give each exactly its permissions.

    A permission of a model that a migration has not created yet is skipped; the migration that
    creates the model grants it again.
    """
    for name, wanted in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for codename, app_label in wanted:
            permissions.extend(
                permission_model.objects.filter(
                    codename=codename, content_type__app_label=app_label
                )
            )
        group.permissions.set(permissions)


def public_role(user, via: str = "") -> str:
    """Who made a change, as the public may see it: a role, never an account name."""
    from django.utils.translation import gettext as _

    if user is None:
        return _("the registry's own processes") if via == "command" else _("the registry")
    if user.is_superuser:
        return _("an administrator")
    groups = {group.name for group in user.groups.all()}
    if REVIEWER in groups:
        return _("a reviewer")
    if CURATOR in groups:
        return _("a curator")
    return _("a member of staff")
