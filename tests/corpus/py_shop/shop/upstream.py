"""Outbound calls, used by the route handlers."""
import logging
import random
import time

import requests

from .clients import billing, catalog, inventory, pricing, reviews

log = logging.getLogger(__name__)
SHIPPING = "http://shipping"


def shipping_quote(zone):
    # defect: requests.post without a timeout (POST: no retry proposed)
    return requests.post(f"{SHIPPING}/quote", json={"zone": zone}).json()


def shipping_quote_ok(zone):
    # trap: bounded POST, no retry (not idempotent)
    return requests.post(f"{SHIPPING}/quote", json={"zone": zone}, timeout=2.0).json()


def stock_level(sku):
    # defect: idempotent GET with no retry on its path
    return requests.get(f"http://inventory/stock/{sku}", timeout=2.0).json()


def item(sku):
    # defect: GET through a module-level session that never retries
    return inventory.get(f"http://inventory/items/{sku}", timeout=2.0).json()


def price(sku):
    # trap: the session retries with backoff
    return pricing.get(f"http://pricing/{sku}", timeout=2.0).json()


def charge(order_id, amount):
    # POST through a client whose timeout is None (the defect is the client)
    return billing.post("/charges", json={"order": order_id, "amount": amount},
                        headers={"Idempotency-Key": f"charge-{order_id}"}).json()


def product(sku):
    # defect: GET through an httpx client without transport retries
    return catalog.get(f"/products/{sku}").json()


def review_list(sku):
    # trap: the client's transport retries connect errors
    return reviews.get(f"/reviews/{sku}").json()


def recommendations(user):
    # defect: a broad except that swallows everything
    try:
        return requests.get(f"http://recs/{user}", timeout=1.0).json()
    except Exception:
        return []


def recommendations_logged(user):
    # trap: a logged broad except, inside a bounded retry loop with backoff
    for attempt in range(3):
        try:
            return requests.get(f"http://recs/{user}", timeout=1.0).json()
        except requests.RequestException:
            log.exception("recs attempt %s failed", attempt)
            time.sleep(min(0.1 * 2 ** attempt, 2.0) + random.uniform(0, 0.1))
    return []


def loyalty(user):
    # defect: retries immediately, no backoff
    for attempt in range(4):
        try:
            return requests.get(f"http://loyalty/{user}", timeout=1.0).json()
        except requests.RequestException:
            continue
    return None


def create_shipment(order_id):
    # trap: POST with an idempotency key in a backoff loop
    for attempt in range(3):
        try:
            return requests.post("http://shipping/shipments", json={"order": order_id}, timeout=2.0,
                                 headers={"Idempotency-Key": str(order_id)}).json()
        except requests.RequestException:
            time.sleep(min(0.2 * 2 ** attempt, 2.0) + random.uniform(0, 0.1))
    raise RuntimeError("shipping unavailable")


async def reviews_async(sku):
    # trap: a local async client with a timeout (not module level, not retried: we cannot be sure)
    import httpx

    async with httpx.AsyncClient(timeout=2.0) as client:
        r = await client.get(f"http://reviews/{sku}")
        return r.json()
