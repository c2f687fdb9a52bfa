"""Graph request URIs reduced to a resource path with ids replaced by ``{id}``.

``https://graph.microsoft.com/v1.0/users/8a4d…/messages/AAMkAG…?$top=5`` becomes
``/users/{id}/messages/{id}``: no scheme, host, API version or query, lower case, and every segment
that names one object (a GUID, a UPN or e-mail, a number, a long opaque id, a quoted key) replaced,
so that the same kind of access groups together whatever object it touched.

``resource_path_expr`` is the vectorised form (a polars expression over a column of URIs);
``resource_path`` applies the very same expression to one string.
"""

from __future__ import annotations

import polars as pl

ID = "{id}"

_SCHEME_HOST = r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^/]*"
_VERSION = r"^/(?:v\d+(?:\.\d+)?|beta)(?:/|$)"
# loose GUID: the obfuscated samples hold ids such as 7ef3c2ad-d52l-4a89-… that are not hex
_GUID = r"^\{?[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}\}?$"
_GUID_INSIDE = r"[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}"
_NUMBER = r"^[0-9]+$"
_MAIL = r"(@|%40)"
# long opaque ids (mailbox item ids, drive item ids, base64 keys): long and mixing digits in
_OPAQUE = r"^[a-z0-9_=+!.%\-]{16,}$"
_HAS_DIGIT = r"[0-9]"
_QUOTED_KEY = r"\('[^']*'\)|\(%27[^)]*%27\)"
_KEY_EQ = r"\(([a-z]+=)?'[^']*'\)"


def _segment(raw: pl.Expr) -> pl.Expr:
    seg = raw.str.replace_all(_KEY_EQ, "({id})").str.replace_all(_QUOTED_KEY, "({id})")
    is_id = (
        seg.str.contains(_GUID)
        | (seg.str.contains(_GUID_INSIDE) & ~seg.str.contains("(", literal=True))
        | seg.str.contains(_NUMBER)
        | seg.str.contains(_MAIL)
        | (seg.str.contains(_OPAQUE) & seg.str.contains(_HAS_DIGIT) & ~seg.str.starts_with("$"))
    )
    return pl.when(is_id).then(pl.lit(ID)).otherwise(seg)


def resource_path_expr(uri: pl.Expr | str) -> pl.Expr:
    """A polars expression mapping request URIs to resource paths (null stays null)."""
    col = pl.col(uri) if isinstance(uri, str) else uri
    path = (
        col.str.strip_chars()
        .str.replace_all(r"\\u0026", "&", literal=True)
        .str.replace(r"[?#].*$", "")
        .str.replace(_SCHEME_HOST, "")
        .str.to_lowercase()
        .str.replace_all(r"/{2,}", "/")
    )
    path = pl.when(path.str.starts_with("/")).then(path).otherwise(pl.lit("/") + path)
    path = path.str.replace(_VERSION, "/")
    segments = path.str.strip_chars("/").str.split("/")
    joined = segments.list.eval(_segment(pl.element())).list.join("/")
    result = pl.lit("/") + joined
    return pl.when(col.is_null() | (col.str.strip_chars() == "")).then(None).otherwise(result)


def resource_path(uri: str | None) -> str | None:
    """The resource path of one request URI (same rules as ``resource_path_expr``)."""
    if uri is None:
        return None
    frame = pl.DataFrame({"uri": [uri]}, schema={"uri": pl.String})
    return frame.select(resource_path_expr("uri")).item()
