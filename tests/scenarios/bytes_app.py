"""A tiny app for the proxy effect tests: N bytes on demand, and an echo of the request."""
from fastapi import FastAPI, Request, Response

app = FastAPI(title="bytes")


@app.get("/bytes/{n}")
def some_bytes(n: int) -> Response:
    return Response(b"x" * n, media_type="application/octet-stream")


@app.api_route("/echo/{rest:path}", methods=["GET", "POST", "PUT"])
async def echo(rest: str, request: Request) -> dict:
    body = await request.body()
    return {"path": request.url.path, "query": request.url.query, "method": request.method,
            "headers": dict(request.headers), "body": body.decode("utf-8", "replace")}


@app.api_route("/header/{name}/{value}", methods=["GET", "POST"])
async def header_is(name: str, value: str, request: Request) -> Response:
    """200 when the request carried ``name: value`` (and its body, if any, was read whole), else 400."""
    await request.body()
    return Response(status_code=200 if request.headers.get(name) == value else 400)
