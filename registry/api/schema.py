"""The API's own description in the OpenAPI schema: what a syncing client must know."""

API_DESCRIPTION = """
Controlled substances, whole-class controls, precursors and their legal history, as kept in
the registry. Anyone may read (throttled per client: HTTP 429 with `Retry-After`); writes need
`Authorization: Token <key>` and the model permission, and each lands in the change feed.

Every response carries `Registry-Seq`: the feed position (last change sequence number) it
reflects. Lists, details and statistics carry an `ETag`; send it back as `If-None-Match` to get
`304 Not Modified` when nothing changed. Lists page with an opaque cursor (`next`, `previous`),
stable while the registry changes; resources are addressed by their permanent `uid`. A query
parameter an endpoint does not take (a misspelt filter) is a 400 that names it and lists the
parameters the endpoint takes: never the unfiltered answer.

## Keeping a copy in sync

1. `GET /api/v1/export/` streams the whole registry as NDJSON. The first line is
   `{"seq": N, "generated_at": "..."}`; each further line is `{"type", "uid", "data"}`, with
   `data` the same representation the feed carries. All lines come from one snapshot: exactly
   the registry at feed position N.
2. `GET /api/v1/changes/?after=N&limit=500` returns the changes after N in order. Apply each
   (`created`/`updated`: store `data` under (`type`, `uid`); `deleted`: remove it), store
   `last_seq` together with the applied changes, and ask again with `after=last_seq`. `next`
   is null once you are caught up; poll again later from `last_seq`.

```
$ curl -s https://registry.example/api/v1/export/ > copy.ndjson
$ head -1 copy.ndjson
{"seq": 4211, "generated_at": "2025-07-28T09:00:00+08:00"}
$ curl -s 'https://registry.example/api/v1/changes/?after=4211&limit=500'
{"results": [{"seq": 4212, "at": "2025-07-28T10:02:11+08:00", "action": "updated",
  "type": "listing", "uid": "l-...", "data": {...}}],
 "last_seq": 4212, "next": null}
```

The sequence numbers are gap-free and handed out in commit order, so a client that stores
`last_seq` with its copy never misses a change and never applies one twice, even after a crash.
"""


def closed_request_bodies(result, generator, request, public):
    """Say in the schema that request bodies take no other keys: the API answers 400 to any.

    A postprocessing hook of drf-spectacular: every component that a request body refers to
    (including the `Patched...` ones of PATCH) gets `additionalProperties: false`.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                name = ref.rsplit("/", 1)[-1]
                if name in schemas and schemas[name].get("type") == "object":
                    schemas[name]["additionalProperties"] = False
    return result


# The schema view's settings (and `manage.py spectacular --custom-settings
# registry.api.schema.SCHEMA_SETTINGS`), on top of settings.SPECTACULAR_SETTINGS.
SCHEMA_SETTINGS = {
    "DESCRIPTION": API_DESCRIPTION,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.closed_request_bodies",
    ],
}
