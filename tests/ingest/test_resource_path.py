"""resource_path: Graph URIs -> paths with ids replaced, vectorised and scalar alike."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.resource_path import resource_path, resource_path_expr

CASES = [
    ("https://graph.microsoft.com/v1.0/users/8a4de8b5-095c-47d0-a96f-a75130c61d53/messages/"
     "AAMkAGI2TG93AAA=?$top=5", "/users/{id}/messages/{id}"),
    ("https://graph.microsoft.com/beta//users/7ef3c2ad-d52l-4a89-8cf9-c30178181027/photos/"
     "48x48/$value", "/users/{id}/photos/48x48/$value"),
    ("https://graph.microsoft.com/v1.0/me/photos/96x96/$value", "/me/photos/96x96/$value"),
    ("https://graph.microsoft.com/v1.0/$batch", "/$batch"),
    ("https://graph.microsoft.com/beta/devices?$select=displayName\\u0026$top=30", "/devices"),
    ("https://graph.microsoft.com/v1.0/users/harry.potter@hogwarts.com/drive/items/"
     "01ABCDEFGH2345XYZ", "/users/{id}/drive/items/{id}"),
    ("/v1.0/groups/123/members", "/groups/{id}/members"),
    ("https://graph.microsoft.com/v1.0/directoryRoles", "/directoryroles"),
    ("https://graph.microsoft.com/v1.0/users('a@b.com')/manager", "/users({id})/manager"),
    ("https://graph.microsoft.com/v1.0/users/u%40x.com/events", "/users/{id}/events"),
    ("https://graph.microsoft.com/v1.0/sites/contoso.sharepoint.com,1f2e3d4c-aaaa-bbbb-cccc-"
     "1234567890ab,5a6b7c8d-aaaa-bbbb-cccc-1234567890ab/drive", "/sites/{id}/drive"),
    ("https://graph.microsoft.com/v1.0", "/"),
    ("", None),
    (None, None),
]  # fmt: skip


@pytest.mark.parametrize(("uri", "expected"), CASES)
def test_scalar(uri: str | None, expected: str | None) -> None:
    assert resource_path(uri) == expected


def test_vectorised_matches_scalar() -> None:
    frame = pl.DataFrame({"uri": [u for u, _ in CASES]}, schema={"uri": pl.String})
    out = frame.select(resource_path_expr("uri")).to_series().to_list()
    assert out == [e for _, e in CASES]
