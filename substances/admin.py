# The admin of substances, names and classes is declared in registry/admin/: every admin save
# must go through registry.services (which records the change feed), and this app never imports
# the registry, so the admin classes live on the registry's side.
