"""The registry's JSON API (REST framework): resources, the change feed, export and checks."""

SEQ_HEADER = "Registry-Seq"
"""The response header that names the feed position an answer reflects (kept on a 304 too)."""
