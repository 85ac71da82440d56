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
