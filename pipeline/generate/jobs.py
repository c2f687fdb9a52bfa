"""The jobs of the tenant's identities as Graph call templates: method, path (with
{placeholders} that ``traffic.fill_paths`` fills), weight, mean response bytes."""

from __future__ import annotations

# A Graph call template: method, path (with {placeholders}), weight, mean response bytes.
Call = tuple[str, str, float, int]

FINANCE_CALLS: list[Call] = [
    ("GET", "/sites/{site_fin}/drive/root:/Invoices/Incoming:/children", 3, 5200),
    ("GET", "/drives/{drive_fin}/items/{item}/content", 6, 180_000),
    ("GET", "/sites/{site_fin}/lists/{list_spend}/items?$expand=fields&$top=50", 3, 24_000),
    ("PATCH", "/sites/{site_fin}/lists/{list_spend}/items/{n}/fields", 4, 900),
    ("PUT", "/drives/{drive_fin}/items/{item}/content", 0.3, 1200),
]
HELPDESK_CALLS: list[Call] = [
    ("GET", "/users/{user}", 6, 1400),
    ("GET", "/users/{user}/manager", 2, 1100),
    ("GET", "/users/{user}/memberOf", 2, 3800),
    ("GET", "/groups/{group}/members", 2, 6400),
]
INVENTORY_CALLS: list[Call] = [
    ("GET", "/users?$select=id,displayName,accountEnabled&$top=100", 2, 38_000),
    ("GET", "/groups?$select=id,displayName&$top=100", 1, 21_000),
    ("GET", "/devices?$select=id,displayName,operatingSystem&$top=100", 2, 30_000),
]
RESEARCH_CALLS: list[Call] = [
    ("POST", "/search/query", 5, 16_000),
    ("GET", "/sites/{site_kb}/pages/{item}", 3, 22_000),
    ("GET", "/drives/{drive_kb}/items/{item}", 3, 2100),
    ("GET", "/drives/{drive_kb}/items/{item}/content", 2, 90_000),
]
MAIL_CALLS: list[Call] = [
    (
        "GET",
        "/me/mailFolders/inbox/messages?$top=25&$select=subject,from,receivedDateTime",
        5,
        31_000,
    ),
    ("GET", "/me/messages/{msg}", 4, 9000),
    ("POST", "/me/messages/{msg}/move", 2, 600),
    ("PATCH", "/me/messages/{msg}", 1, 500),
]
NOTES_CALLS: list[Call] = [
    ("GET", "/users/{user}/events?$top=20", 4, 12_000),
    ("GET", "/users/{user}/onlineMeetings/{item}/transcripts", 2, 4000),
    ("GET", "/users/{user}/onlineMeetings/{item}/transcripts/{n}/content", 2, 48_000),
]
CALENDAR_CALLS: list[Call] = [
    ("GET", "/me/events?$top=10", 5, 8000),
    ("POST", "/me/calendar/getSchedule", 3, 2500),
    ("POST", "/me/events", 1, 1800),
]
SALES_CALLS: list[Call] = [
    ("GET", "/sites/{site_sales}/lists/{list_deals}/items?$expand=fields&$top=50", 4, 20_000),
    ("PATCH", "/sites/{site_sales}/lists/{list_deals}/items/{n}/fields", 2, 700),
]
OCR_CALLS: list[Call] = [
    ("GET", "/drives/{drive_fin}/items/{item}/content", 5, 210_000),
    ("PATCH", "/drives/{drive_fin}/items/{item}", 1, 900),
]
SUPPORT_CALLS: list[Call] = [
    ("GET", "/users/{user}?$select=displayName,department,officeLocation", 4, 900),
    ("GET", "/sites/{site_support}/lists/{list_tickets}/items/{n}?$expand=fields", 4, 3500),
    ("PATCH", "/sites/{site_support}/lists/{list_tickets}/items/{n}/fields", 2, 600),
]
PAYROLL_CALLS: list[Call] = [
    ("GET", "/users/{user}?$select=id,employeeId,department,jobTitle", 4, 1100),
    ("GET", "/drives/{drive_hr}/items/{item}/content", 1, 60_000),
]
KB_CALLS: list[Call] = [
    ("GET", "/sites/{site_kb}/pages/{item}", 4, 20_000),
    ("POST", "/search/query", 3, 15_000),
]
HUMAN_CALLS: list[Call] = [
    ("GET", "/me/messages?$top=25", 4, 28_000),
    ("GET", "/me/events?$top=10", 2, 7000),
    ("GET", "/me/drive/root/children", 2, 6000),
    ("GET", "/me/joinedTeams", 1, 3000),
    ("GET", "/users/{user}", 1, 1400),
    ("GET", "/me/photo/$value", 1, 4200),
]
BACKUP_CALLS: list[Call] = [("GET", "/users/delta?$select=id,displayName", 1, 52_000)]
HRSYNC_CALLS: list[Call] = [
    ("PATCH", "/users/{user}", 3, 300),
    ("GET", "/users/{user}?$select=id,employeeId,department", 2, 900),
]
