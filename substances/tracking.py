"""What a row held when it was read, so that a save can apply only what was edited since.

A form, an import or a script reads a record, changes some fields and saves it. Meanwhile
someone else may have saved other fields of the same record. Saving the copy as read, every
column, would put those back: a lost update. The services instead lock the row, read it again,
and apply only the fields this copy edited (registry.services.update_resource), which they learn
from here.
"""

from typing import Any


class EditTracking:
    """A model mixin: remembers the values each instance was loaded with."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def edited_fields(self) -> dict[str, Any]:
        """The editable fields whose value differs from the one loaded, by attribute name.

        An instance that was not loaded from the database (built by hand with a primary key)
        names every editable field: all of its values are what its maker wants stored.
        """
        loaded = getattr(self, "_loaded_values", None)
        deferred = self.get_deferred_fields()
        edited = {}
        for field in self._meta.concrete_fields:
            if field.primary_key or not field.editable or field.attname in deferred:
                continue
            value = getattr(self, field.attname)
            if loaded is not None and field.attname in loaded and loaded[field.attname] == value:
                continue
            edited[field.attname] = value
        return edited

    def mark_loaded(self) -> None:
        """Take the instance's current values as the stored ones (after a save)."""
        deferred = self.get_deferred_fields()
        self._loaded_values = {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if field.attname not in deferred
        }
