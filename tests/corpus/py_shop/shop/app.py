import asyncio
import json
import time
from pathlib import Path

from fastapi import FastAPI, HTTPException
from starlette.concurrency import run_in_threadpool

from . import upstream
from .clients import make_bounded_connector, make_connector, search

app = FastAPI()
DATA = Path(__file__).parent / "data"


@app.get("/quote/{zone}")
def quote(zone: str):
    try:
        return {"quote": upstream.shipping_quote(zone), "alt": upstream.shipping_quote_ok(zone)}
    except Exception as exc:
        raise HTTPException(status_code=502, detail="shipping unavailable") from exc


@app.get("/items/{sku}")
def read_item(sku: str):
    return {"stock": upstream.stock_level(sku), "item": upstream.item(sku), "price": upstream.price(sku)}


@app.get("/products/{sku}")
def read_product(sku: str):
    return {"product": upstream.product(sku), "reviews": upstream.review_list(sku)}


@app.post("/orders/{order_id}/charge")
def charge_order(order_id: int):
    return upstream.charge(order_id, 10)


@app.get("/users/{user}/home")
def home(user: str):
    return {"recs": upstream.recommendations(user), "more": upstream.recommendations_logged(user),
            "loyalty": upstream.loyalty(user)}


@app.post("/orders/{order_id}/ship")
def ship(order_id: int):
    return upstream.create_shipment(order_id)


@app.get("/slow")
async def slow():
    # defect: time.sleep blocks the event loop
    time.sleep(0.2)
    await asyncio.sleep(0)
    return {"ok": True}


@app.get("/paced")
async def paced():
    # trap: the async sleep
    await asyncio.sleep(0.2)
    return {"ok": True}


@app.get("/config")
async def config():
    # defect: synchronous file read inside async def
    with open(DATA / "config.json") as fh:
        cfg = json.load(fh)
    await asyncio.sleep(0)
    return cfg


@app.get("/config2")
async def config2():
    # trap: the read runs in a worker thread
    cfg = await asyncio.to_thread((DATA / "config.json").read_text)
    return json.loads(cfg)


@app.get("/motd")
async def motd():
    # defect: pathlib read inside async def
    text = (DATA / "motd.txt").read_text()
    await asyncio.sleep(0)
    return {"motd": text}


@app.get("/motd2")
async def motd2():
    # trap: moved to the thread pool
    text = await run_in_threadpool((DATA / "motd.txt").read_text)
    return {"motd": text}


@app.get("/search")
async def do_search(q: str):
    # trap: a module-level async client with limits and retries
    r = await search.get("http://search/q", params={"q": q})
    return r.json()


@app.get("/conn")
async def conn():
    a = make_connector()
    b = make_bounded_connector()
    await a.close()
    await b.close()
    return {"ok": True}


@app.get("/reviews/{sku}")
async def reviews(sku: str):
    # trap: awaits an async helper
    return await upstream.reviews_async(sku)


@app.get("/banner")
async def banner():
    # trap: aiofiles does the file I/O without blocking
    import aiofiles

    async with aiofiles.open(DATA / "motd.txt") as fh:
        return {"banner": await fh.read()}
