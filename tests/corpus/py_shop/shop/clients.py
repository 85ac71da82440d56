"""Clients shared by the whole app (module level)."""
import aiohttp
import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# defect: no retry, and used for GETs
inventory = requests.Session()

# trap: a session that already retries idempotent calls with backoff
pricing = requests.Session()
pricing.mount("http://", HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.2,
                                                        status_forcelist=(502, 503, 504))))

# defect: timeout=None disables httpx's default timeout
billing = httpx.Client(base_url="http://billing", timeout=None)

# defect: GETs through this client are never retried
catalog = httpx.Client(base_url="http://catalog", timeout=3.0)

# trap: transport retries already on
reviews = httpx.Client(base_url="http://reviews", timeout=3.0, transport=httpx.HTTPTransport(retries=3))

# trap: bounded pool (the default limits are bounded too)
search = httpx.AsyncClient(timeout=2.0, limits=httpx.Limits(max_connections=50), transport=httpx.AsyncHTTPTransport(retries=2))


def make_connector():
    # defect: limit=0 means no limit on concurrent connections
    return aiohttp.TCPConnector(limit=0)


def make_bounded_connector():
    # trap: a bounded connector
    return aiohttp.TCPConnector(limit=100)
