"""Static facts the synthetic tenant draws from: places, networks, Microsoft resources, clients.

Coordinates are city centres; address blocks are documentation-like private choices of ours that
stay stable for a seed. Resource app ids are the well-known first-party ids Entra logs carry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    lat: float
    lon: float
    asn: int  # the network an address of this place belongs to
    prefix: str  # first two octets of the addresses handed out here
    region: str  # the Azure region Graph activity records name for it
    utc_offset: int = 0  # hours; working hours of people living here


#: Offices and homes of people; cloud regions of agents. Index 0..N-1 is stable.
PLACES: tuple[Place, ...] = (
    Place("Seattle", "Washington", "US", 47.6062, -122.3321, 7922, "73.53", "West US 2", -8),
    Place("New York", "New York", "US", 40.7128, -74.0060, 701, "68.198", "East US", -5),
    Place("Chicago", "Illinois", "US", 41.8781, -87.6298, 7018, "99.13", "Central US", -6),
    Place("Dublin", "Dublin", "IE", 53.3498, -6.2603, 5466, "86.44", "North Europe", 0),
    Place("London", "England", "GB", 51.5072, -0.1276, 2856, "81.2", "UK South", 0),
    Place("Amsterdam", "North Holland", "NL", 52.3676, 4.9041, 1136, "145.53", "West Europe", 1),
    Place("Berlin", "Berlin", "DE", 52.5200, 13.4050, 3320, "91.64", "Germany West Central", 1),
    Place("Paris", "Paris", "FR", 48.8566, 2.3522, 3215, "90.84", "France Central", 1),
    Place("Bangalore", "Karnataka", "IN", 12.9716, 77.5946, 24560, "122.171", "South India", 5),
    Place(
        "Sydney", "New South Wales", "AU", -33.8688, 151.2093, 1221, "101.160", "Australia East", 10
    ),
)
#: Azure datacentre egress used by agents and service principals (Microsoft's network, AS8075).
CLOUD_PLACES: tuple[Place, ...] = (
    Place("Boydton", "Virginia", "US", 36.6676, -78.3875, 8075, "20.42", "East US"),
    Place("Amsterdam", "North Holland", "NL", 52.3676, 4.9041, 8075, "20.61", "West Europe"),
    Place("Dublin", "Dublin", "IE", 53.3498, -6.2603, 8075, "20.105", "North Europe"),
    Place("Quincy", "Washington", "US", 47.2343, -119.8526, 8075, "20.112", "West US 2"),
)
#: Places an attacker appears from (hosting providers and residential proxies far from home).
HOSTILE_PLACES: tuple[Place, ...] = (
    Place("Moscow", "Moscow", "RU", 55.7558, 37.6173, 12389, "95.165", "North Europe"),
    Place("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333, 20473, "45.32", "Brazil South"),
    Place("Lagos", "Lagos", "NG", 6.5244, 3.3792, 37148, "102.89", "South Africa North"),
    Place(
        "Singapore", "Central Singapore", "SG", 1.2897, 103.8501, 14061, "128.199", "Southeast Asia"
    ),
    Place("Hanoi", "Hanoi", "VN", 21.0278, 105.8342, 45899, "113.160", "Southeast Asia"),
)

# Resource applications (resourceId / resourceDisplayName of sign-ins).
GRAPH = ("00000003-0000-0000-c000-000000000000", "Microsoft Graph")
EXCHANGE = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
SHAREPOINT = ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online")
ARM = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Azure Resource Manager")
KEY_VAULT = ("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault")
STORAGE = ("e406a681-f3d4-42a8-90b6-c2b029497af1", "Azure Storage")
DYNAMICS_FINANCE = ("00000015-0000-0000-c000-000000000000", "Dynamics 365 Finance")
SQL_DB = ("022907d3-0f1b-48f7-badc-1ba6abab6d66", "Azure SQL Database")

# Client applications humans sign in with (appId, appDisplayName).
HUMAN_APPS: tuple[tuple[str, str], ...] = (
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
)
GRAPH_EXPLORER = ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer")

BROWSERS: tuple[tuple[str, str, str], ...] = (
    # (user agent, operatingSystem, browser)
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Windows10",
        "Edge 131.0.0",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "MacOs",
        "Chrome 131.0.0",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Windows10",
        "Firefox 133.0",
    ),
)
RICH_CLIENT = (
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
    "Windows10",
    "Rich Client 16.0.17928.20114",
)
AGENT_SDK_UA = "Microsoft-Agent-SDK/1.4.2 (python 3.12; linux)"
GRAPH_SDK_UA = "msgraph-sdk-python/1.12.0 (featureUsage=0f)"
SCRIPT_UAS = ("python-requests/2.32.3", "curl/8.5.0", "PowerShell/7.4.6", "Go-http-client/2.0")

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Ken",
    "Barbara",
    "Edsger",
    "Margaret",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Shafi",
    "Leslie",
    "Hedy",
    "Dennis",
    "Karen",
    "Niklaus",
    "Sophie",
    "Bjarne",
    "Anita",
    "Guido",
    "Katherine",
    "Yukihiro",
    "Mary",
    "Vint",
    "Adele",
    "Butler",
    "Jean",
)
LAST_NAMES = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Thompson",
    "Liskov",
    "Dijkstra",
    "Hamilton",
    "Knuth",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Goldwasser",
    "Lamport",
    "Lamarr",
    "Ritchie",
    "Jones",
    "Wirth",
    "Wilson",
    "Stroustrup",
    "Borg",
    "van Rossum",
    "Johnson",
    "Matsumoto",
    "Kenneth",
    "Cerf",
    "Goldberg",
    "Lampson",
    "Sammet",
)

#: Conditional Access policies of the tenant (id, displayName).
CA_MFA = ("ccb90f89-0a3e-4cdb-9ae2-1e5c7b4d2a10", "Require MFA for all users")
CA_AGENTS = ("5d1e3a27-4b6c-4f0e-8a9d-7c2b1e0f3a44", "Agent identities: block high-risk sign-ins")
CA_LEGACY = ("a1b2c3d4-1111-4e5f-9a8b-0c1d2e3f4a55", "Block legacy authentication")
