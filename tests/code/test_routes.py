"""Endpoint -> handler mapping on multi-file FastAPI, Flask and Express apps written here."""
from __future__ import annotations

import json

import pytest

from fault_nb.code import index_source
from fault_nb.code.routes import fastapi_operation_id, match_score
from fault_nb.errors import UnknownEndpointError

from _trees import write_tree as _tree




def test_fastapi_default_operation_ids_match_the_fixture(fixtures_dir):
    doc = json.loads((fixtures_dir / "openapi" / "seed_app.openapi.json").read_text())
    got = {op["operationId"] for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert got == {fastapi_operation_id("index", "/", "GET"),
                   fastapi_operation_id("create_user", "/users/", "POST"),
                   fastapi_operation_id("read_user", "/users/{user_id}", "GET")}
    assert fastapi_operation_id("f", "/files/{p:path}", "get") == "f_files__p__get"


def test_match_score_normalises_parameters():
    assert match_score("/users/{id}", "http://h:1/users/42?x=1") == 4
    assert match_score("/users/<int:id>", "/users/{user_id}") == 4
    assert match_score("/users/:id", "http://h/users/%7Buser_id%7D") == 4
    assert match_score("/users/{id}", "/users/1/extra") is None
    assert match_score("/users/me", "/users/1") is None
    assert match_score("/users/", "/users/") > match_score("/users", "/users/")


@pytest.fixture
def fastapi_app(tmp_path):
    return _tree(tmp_path / "fa", {
        "app/__init__.py": "",
        "app/main.py": '''
            from fastapi import FastAPI
            from .routers import users
            from .routers.items import router as items_router
            from . import admin

            app = FastAPI()
            app.include_router(users.router, prefix="/api")
            app.include_router(items_router)
            app.include_router(admin.router, prefix="/admin")

            @app.get("/health")
            def health():
                return {"ok": True}
            ''',
        "app/routers/__init__.py": "",
        "app/routers/users.py": '''
            from fastapi import APIRouter
            from ..services import load_user

            router = APIRouter(prefix="/users", tags=["users"])

            @router.get("/{user_id}")
            async def get_user(user_id: int):
                return load_user(user_id)

            @router.post("/", operation_id="createUser")
            async def create_user(body: dict):
                return body

            @router.api_route("/{user_id}", methods=["PUT", "PATCH"], name="replace")
            async def put_user(user_id: int):
                return {}
            ''',
        "app/routers/items.py": '''
            from fastapi import APIRouter
            router = APIRouter(prefix="/items")

            async def list_items():
                return []

            router.add_api_route("", list_items, methods=["GET"])
            ''',
        "app/admin.py": '''
            import fastapi
            router: fastapi.APIRouter = fastapi.APIRouter()

            @router.delete("/cache")
            def flush():
                pass
            ''',
        "app/services.py": '''
            import httpx
            client = httpx.Client()

            def load_user(uid):
                return client.get(f"/u/{uid}").json()
            ''',
    })


def test_fastapi_routers_across_files(fastapi_app):
    index = index_source(fastapi_app, progress=False)
    routes = {(r.method, r.path): r for r in index.routes}
    assert set(routes) == {
        ("GET", "/health"), ("GET", "/api/users/{user_id}"), ("POST", "/api/users/"),
        ("PUT", "/api/users/{user_id}"), ("PATCH", "/api/users/{user_id}"), ("GET", "/items"),
        ("DELETE", "/admin/cache"),
    }
    assert routes[("GET", "/api/users/{user_id}")].operation_id == "get_user_api_users__user_id__get"
    assert routes[("POST", "/api/users/")].operation_id == "createUser"
    assert routes[("POST", "/api/users/")].explicit_operation_id
    assert routes[("PUT", "/api/users/{user_id}")].operation_id == "replace_api_users__user_id__put"
    assert routes[("GET", "/items")].function == "list_items"
    assert all(r.framework == "fastapi" for r in routes.values())

    # without set_endpoints the FastAPI operationIds are the endpoints
    m = index.handler_for("get_user_api_users__user_id__get")
    assert (m.how, m.file, m.function, m.start_line, m.end_line) == \
        ("route", "app/routers/users.py", "get_user", 6, 8)
    m = index.handler_for("list_items_items_get")
    assert (m.file, m.function, m.start_line, m.end_line) == ("app/routers/items.py", "list_items", 4, 5)

    # endpoints given as a list: concrete URLs, an explicit id, a base path in front
    index.set_endpoints([
        ("createUser", "POST", "http://localhost:8000/api/users/"),
        ("getUser", "GET", "http://localhost:8000/api/users/7"),
        ("flush", "DELETE", "http://gw/v1/admin/cache"),
        ("nothing", "GET", "/nowhere/at/all"),
    ])
    m = index.handler_for("getUser")
    assert (m.how, m.function, m.framework) == ("route", "get_user", "fastapi")
    assert "get_user_api_users__user_id__get" in m.reason  # says the route's own id differs
    assert index.handler_for("createUser").function == "create_user"
    m = index.handler_for("flush")
    assert (m.how, m.function) == ("route", "flush") and "/v1" in m.reason
    m = index.handler_for("nothing")
    assert m.how == "unmapped" and m.file is None and "no route matches GET /nowhere/at/all" in m.reason
    with pytest.raises(UnknownEndpointError, match="Expected one of: createUser, getUser"):
        index.handler_for("bogus")

    ctx = index.context_for("getUser")
    reasons = {c.symbol: c.reason for c in ctx.chunks}
    assert reasons["get_user"] == "handler"
    assert "imported from app/services.py" in reasons["load_user"]
    assert "client" in reasons  # the module-level httpx client the callee uses
    index.close()


def test_operation_id_and_fuzzy_matching(fastapi_app):
    index = index_source(fastapi_app, progress=False)
    index.set_endpoints([("get_user_api_users__user_id__get", "", ""), ("getUsr", "GET", "/elsewhere/x")])
    m = index.handler_for("get_user_api_users__user_id__get")
    assert (m.how, m.function) == ("operation_id", "get_user")
    assert "FastAPI-generated" in m.reason
    m = index.handler_for("getUsr")
    assert m.how == "fuzzy" and m.function == "get_user" and 0.75 <= m.score < 1
    index.close()


def test_flask_blueprints(tmp_path):
    src = _tree(tmp_path / "fl", {
        "app.py": '''
            from flask import Flask
            from views.users import bp as users_bp
            from views import orders

            def create_app():
                app = Flask(__name__)
                app.register_blueprint(users_bp)
                app.register_blueprint(orders.bp, url_prefix="/v2/orders")

                @app.route("/ping", methods=["GET", "HEAD"])
                def ping():
                    return "pong"
                return app
            ''',
        "views/__init__.py": "",
        "views/users.py": '''
            from flask import Blueprint
            bp = Blueprint("users", __name__, url_prefix="/users")

            @bp.route("/<int:user_id>", methods=["GET", "DELETE"])
            def user(user_id):
                return {}

            @bp.post("/")
            def create():
                return {}
            ''',
        "views/orders.py": '''
            from flask import Blueprint
            bp = Blueprint("orders", __name__, url_prefix="/orders")

            @bp.get("/<order_id>")
            def show(order_id):
                return {}

            def listing():
                return []

            bp.add_url_rule("/", view_func=listing)
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path, r.function) for r in index.routes}
    assert got == {
        ("GET", "/ping", "ping"), ("HEAD", "/ping", "ping"),
        ("GET", "/users/<int:user_id>", "user"), ("DELETE", "/users/<int:user_id>", "user"),
        ("POST", "/users/", "create"),
        ("GET", "/v2/orders/<order_id>", "show"),  # register url_prefix replaces the blueprint's
        ("GET", "/v2/orders/", "listing"),
    }
    assert {r.framework for r in index.routes} == {"flask"}
    assert all(r.operation_id is None for r in index.routes)
    index.set_endpoints([("delUser", "DELETE", "http://x/users/{id}"), ("order", "GET", "/v2/orders/9"),
                         ("orders", "GET", "/v2/orders/")])
    assert index.handler_for("delUser").function == "user"
    assert "/users/&lt;int:user_id&gt;" in index._repr_html_()  # route templates are escaped in HTML
    assert index.handler_for("order").function == "show"
    m = index.handler_for("orders")
    assert (m.function, m.file, m.start_line) == ("listing", "views/orders.py", 8)
    index.close()


def test_flask_method_view_maps_to_its_class(tmp_path):
    # add_url_rule(view_func=Cls.as_view("x")) was "not found in the indexed code", so nothing was reviewed
    src = _tree(tmp_path / "mv", {
        "app.py": '''
            from flask import Flask
            from views import HealthView, ItemView

            app = Flask(__name__)
            app.add_url_rule("/health", view_func=HealthView.as_view("health"))
            app.add_url_rule("/items/<int:item_id>", view_func=ItemView.as_view("item"), methods=["GET", "PUT"])
            ''',
        "views.py": '''
            from flask.views import MethodView


            class HealthView(MethodView):
                def get(self):
                    return {"ok": True}


            class ItemView(MethodView):
                def get(self, item_id):
                    return {}

                def put(self, item_id):
                    return {}
            ''',
    })
    index = index_source(src, progress=False, endpoints=[("health", "GET", "http://x/health"),
                                                         ("putItem", "PUT", "http://x/items/3")])
    try:
        for opid in ("health", "putItem"):
            m = index.handler_for(opid)
            assert m.how == "route" and m.file == "views.py" and m.start_line > 0, m
            assert "was not found" not in m.reason
        m = index.handler_for("putItem")
        assert (m.start_line, m.end_line) == (13, 14)  # ItemView.put, not get
    finally:
        index.close()


def test_flask_method_view_methods_come_from_the_class(tmp_path):
    # add_url_rule without methods=: Flask serves every method the view class defines or inherits
    # (MethodView.__init_subclass__), or exactly its `methods` attribute; the index mapped GET only
    src = _tree(tmp_path / "mv", {
        "app.py": '''
            from flask import Flask

            from api import views
            from api.views import ItemView, ReadOnlyView

            app = Flask(__name__)
            app.add_url_rule("/items/<int:item_id>", view_func=ItemView.as_view("item"))
            app.add_url_rule("/reports", view_func=ReadOnlyView.as_view("reports"))
            app.add_url_rule("/legacy", view_func=views.Legacy.as_view("legacy"))
            ''',
        "api/__init__.py": "",
        "api/base.py": '''
            from flask.views import MethodView


            class JSONView(MethodView):
                def get(self, **kw):
                    return {}
            ''',
        "api/views.py": '''
            from flask.views import View

            from .base import JSONView


            class ItemView(JSONView):
                def put(self, item_id):
                    return {}

                def delete(self, item_id):
                    return {}


            class ReadOnlyView(JSONView):
                methods = ["GET"]

                def post(self):
                    return {}


            class Legacy(View):
                def dispatch_request(self):
                    return "ok"
            ''',
    })
    index = index_source(src, progress=False, endpoints=[])
    try:
        got = {(r.method, r.path): (r.file, r.function, r.start_line, r.end_line, r.note) for r in index.routes}
        assert sorted(got) == [("DELETE", "/items/<int:item_id>"), ("GET", "/items/<int:item_id>"),
                               ("GET", "/legacy"), ("GET", "/reports"), ("PUT", "/items/<int:item_id>")]
        assert got[("PUT", "/items/<int:item_id>")][:4] == ("api/views.py", "ItemView.put", 7, 8)
        assert got[("DELETE", "/items/<int:item_id>")][:4] == ("api/views.py", "ItemView.delete", 10, 11)
        # the inherited handler is the base class's, in its own file
        assert got[("GET", "/items/<int:item_id>")] == ("api/base.py", "JSONView.get", 5, 6,
                                                         "get inherited from JSONView")
        assert got[("GET", "/reports")][:2] == ("api/base.py", "JSONView.get")  # methods = ["GET"]: no POST
        index.set_endpoints([("deleteItem", "DELETE", "http://x/items/3"), ("putItem", "PUT", "http://x/items/3"),
                             ("getItem", "GET", "http://x/items/3")])
        for opid, fn in (("deleteItem", "ItemView.delete"), ("putItem", "ItemView.put"), ("getItem", "JSONView.get")):
            m = index.handler_for(opid)
            assert (m.how, m.function, m.framework) == ("route", fn, "flask"), m
    finally:
        index.close()


def test_express_router_across_files(tmp_path):
    src = _tree(tmp_path / "ex", {
        "server.js": '''
            const express = require('express');
            const users = require('./routes/users');
            import orders from './routes/orders.js';

            const app = express();
            app.use(express.json());
            app.use('/api/users', users);
            app.use('/api/orders', orders);
            app.use('/api/items', require('./routes/items'));

            app.get('/health', (req, res) => res.send('ok'));
            app.listen(3000);
            ''',
        "routes/users.js": '''
            const express = require('express');
            const { findUser } = require('../controllers/users');
            const router = express.Router();

            router.get('/:id', auth, findUser);
            router.post('/', async (req, res) => {
              res.status(201).json(await save(req.body));
            });

            module.exports = router;
            ''',
        "routes/orders.js": '''
            import { Router } from 'express';
            const r = Router();
            r.delete('/:orderId', function (req, res) { res.end(); });
            export default r;
            ''',
        "routes/items.js": '''
            const router = require('express').Router();
            router.route('/:sku')
              .get(async (req, res) => res.json({}))
              .put(updateItem);
            function updateItem(req, res) { res.end(); }
            module.exports = router;
            ''',
        "controllers/users.js": '''
            const db = require('../db');

            async function findUser(req, res) {
              const user = await db.query('select * from users where id = $1', [req.params.id]);
              res.json(user);
            }

            module.exports = { findUser };
            ''',
        "db.js": '''
            const { Pool } = require('pg');
            const pool = new Pool({ connectionString: process.env.DATABASE_URL });
            module.exports = pool;
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path): (r.file, r.function) for r in index.routes}
    assert got == {
        ("GET", "/health"): ("server.js", "app.get('/health')"),
        ("GET", "/api/users/:id"): ("routes/users.js", "findUser"),
        ("POST", "/api/users/"): ("routes/users.js", "router.post('/')"),
        ("DELETE", "/api/orders/:orderId"): ("routes/orders.js", "r.delete('/:orderId')"),
        ("GET", "/api/items/:sku"): ("routes/items.js", "router.route('/:sku').get"),
        ("PUT", "/api/items/:sku"): ("routes/items.js", "updateItem"),
    }
    index.set_endpoints([("getUser", "GET", "http://h/api/users/{id}"), ("newUser", "POST", "/api/users/"),
                         ("delOrder", "DELETE", "/api/orders/5")])
    m = index.handler_for("getUser")
    assert (m.how, m.file, m.function, m.start_line, m.end_line, m.framework) == \
        ("route", "controllers/users.js", "findUser", 3, 6, "express")
    m = index.handler_for("newUser")
    assert (m.file, m.start_line, m.end_line) == ("routes/users.js", 6, 8)
    assert index.handler_for("delOrder").file == "routes/orders.js"
    index.set_endpoints([("getItem", "GET", "/api/items/abc"), ("putItem", "PUT", "/api/items/{sku}")])
    m = index.handler_for("getItem")
    assert (m.file, m.start_line, m.end_line, m.path) == ("routes/items.js", 3, 3, "/api/items/:sku")
    m = index.handler_for("putItem")
    assert (m.function, m.start_line, m.end_line) == ("updateItem", 5, 5)
    index.set_endpoints([("getUser", "GET", "http://h/api/users/{id}")])
    prompt = index.context_for("getUser").to_prompt()
    assert "controllers/users.js lines 3-6: findUser (function; handler)" in prompt
    assert "```javascript" in prompt
    index.close()


def test_fastapi_prefixes_from_settings_and_constants(tmp_path):
    """The full-stack FastAPI template style: prefix=settings.API_V1_STR, api_router of routers."""
    src = _tree(tmp_path / "tpl", {
        "app/core/config.py": '''
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                API_V1_STR: str = "/api/v1"
                PROJECT_NAME: str = "demo"

            settings = Settings()
            ''',
        "app/api/main.py": '''
            from fastapi import APIRouter
            from app.api.routes import items
            from app.api.routes.consts import ITEMS_PREFIX

            api_router = APIRouter()
            api_router.include_router(items.router, prefix=ITEMS_PREFIX, tags=["items"])
            ''',
        "app/api/routes/consts.py": 'ITEMS_PREFIX = "/items"\n',
        "app/api/routes/items.py": '''
            from fastapi import APIRouter
            router = APIRouter()

            @router.get("/{id}")
            def read_item(id: int):
                return {}
            ''',
        "app/main.py": '''
            from fastapi import FastAPI
            from app.api.main import api_router
            from app.core.config import settings

            app = FastAPI()
            app.include_router(api_router, prefix=settings.API_V1_STR)
            app.include_router(api_router, prefix=settings.UNKNOWN_PREFIX)
            ''',
    })
    index = index_source(src, progress=False)
    by_path = {r.path: r for r in index.routes}
    assert set(by_path) == {"/api/v1/items/{id}", "/items/{id}"}
    assert by_path["/api/v1/items/{id}"].operation_id == "read_item_api_v1_items__id__get"
    assert "settings.API_V1_STR taken as '/api/v1'" in by_path["/api/v1/items/{id}"].note
    assert "settings.UNKNOWN_PREFIX is not a literal" in by_path["/items/{id}"].note
    m = index.handler_for("read_item_api_v1_items__id__get")
    assert (m.how, m.path, m.file) == ("route", "/api/v1/items/{id}", "app/api/routes/items.py")
    index.close()


def test_express_client_calls_are_not_routes(tmp_path):
    """`pricing.post('/orders', order)` on an axios instance is an outbound call, not a route: only
    express()/Router() objects (and bare statements with handler arguments) declare routes."""
    src = _tree(tmp_path / "shop", {
        "server.js": '''
            const express = require('express');
            const orders = require('./routes/orders');
            const app = express();
            app.use('/api', orders);
            app.listen(3000);
            ''',
        "routes/orders.js": '''
            const express = require('express');
            const { placeOrder } = require('../clients/pricing');
            const router = express.Router();

            router.post('/orders', createOrder);
            async function createOrder(req, res) {
              res.status(201).json(await placeOrder(req.body));
            }
            router.get('/x', (req, res) => res.json({}));
            module.exports = router;
            ''',
        "clients/api.js": '''
            import axios from 'axios';
            export const client = axios.create({ baseURL: process.env.PRICING_URL });
            ''',
        "clients/pricing.js": '''
            import axios from 'axios';
            import { client } from './api.js';
            const pricing = axios.create({ baseURL: 'http://pricing' });

            export async function placeOrder(order) {
              const quote = await pricing.post('/orders', order);
              client.post('/orders', order);
              client.post('/orders', { id: order.id });
              axios.post('/orders', order);
              return axios.get('/x').then((r) => quote.data + r.data);
            }
            export function notify(api, order) {
              return api.post('/orders', order);
            }
            ''',
    })
    index = index_source(src, progress=False)
    try:
        got = sorted((r.method, r.path, r.file, r.function) for r in index.routes)
        assert got == [  # a list: each client call above would add its own ('POST', '/orders') row
            ("GET", "/api/x", "routes/orders.js", "router.get('/x')"),
            ("POST", "/api/orders", "routes/orders.js", "createOrder"),
        ]
        index.set_endpoints([("createOrder", "POST", "http://h/api/orders"), ("getX", "GET", "http://h/api/x")])
        m = index.handler_for("createOrder")
        assert (m.how, m.file, m.function, m.start_line, m.framework) == \
            ("route", "routes/orders.js", "createOrder", 6, "express")
        m = index.handler_for("getX")
        assert (m.how, m.file, m.start_line) == ("route", "routes/orders.js", 9)
    finally:
        index.close()
