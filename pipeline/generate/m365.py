"""Microsoft 365 audit records for the agents that touch files and mail: the SharePoint
``FileAccessed`` behind a file download and Exchange ``MailItemsAccessed`` behind message reads,
derived column-wise from the Graph calls that caused them."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.generate.cast import DOMAIN, Tenant
from pipeline.generate.frames import frame
from pipeline.generate.ids import uuids

SITE = f"https://{DOMAIN.split('.')[0]}.sharepoint.com/sites/"


def m365_from_graph(tenant: Tenant, graph: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    fin = {tenant.actor(k).app_id: tenant.actor(k) for k in ("finance", "ocr", "finance_recon")}
    mail = tenant.actor("mail_triage")
    files = graph.filter(
        pl.col("app_id").is_in(list(fin))
        & pl.col("uri").str.ends_with("/content")
        & (pl.col("method") == "GET")
        & (pl.col("status") == 200)
    )
    n = len(files)
    parts = []
    if n:
        names = np.char.add("INV-", rng.integers(10000, 99999, n).astype(str))
        names = np.char.add(names, ".pdf")
        folder = "Shared Documents/Invoices/Incoming"
        apps = files["app_id"].to_list()
        parts.append(
            frame(
                "m365",
                n,
                time=files["time"],
                id=uuids(rng, n),
                operation="FileAccessed",
                user_id=["app@sharepoint" for _ in apps],
                user_key=["i:0i.t|00000003-0000-0ff1-ce00-000000000000|app@sharepoint"] * n,
                app_id=files["app_id"],
                app_name=[fin[a].name for a in apps],
                ip=files["ip"],
                user_agent=files["user_agent"],
                object_id=np.char.add(f"{SITE}Finance/{folder}/", names),
                site_url=f"{SITE}Finance/",
                file_name=names,
                folder=folder,
                mailbox_guid=tenant.pools["site_fin"][0].split(",")[1],
            )
        )
    reads = graph.filter(
        (pl.col("app_id") == mail.app_id)
        & (pl.col("user_id") == mail.object_id)
        & pl.col("uri").str.contains("/me/messages/", literal=True)
        & (pl.col("method") == "GET")
    )
    if len(reads):
        # Exchange aggregates the binds of a session into one record per hour and client.
        agg = (
            reads.group_by(
                pl.col("time").dt.truncate("1h").alias("hour"), "ip", maintain_order=True
            )
            .agg(
                pl.len().alias("count"),
                pl.col("time").min().alias("time"),
                pl.col("user_agent").first(),
            )
            .sort("time", "ip", maintain_order=True)
        )
        m = len(agg)
        parts.append(
            frame(
                "m365",
                m,
                time=agg["time"],
                id=uuids(rng, m),
                operation="MailItemsAccessed",
                user_id=mail.upn,
                user_key=mail.object_id,
                app_id=mail.app_id,
                app_name=mail.name,
                ip=agg["ip"],
                user_agent=agg["user_agent"],
                object_id=uuids(rng, m),
                folder=DOMAIN,
                mailbox_upn=mail.upn,
                mailbox_guid=mail.object_id,
                item_count=agg["count"],
            )
        )
    return pl.concat(parts) if parts else frame("m365", 0)
