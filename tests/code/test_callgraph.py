"""Call-graph resolution through imports, classes and typed variables."""
from __future__ import annotations


from fault_nb.code import index_source

from _trees import write_tree as _tree




def test_calls_resolve_through_imports_classes_and_variable_types(tmp_path):
    src = _tree(tmp_path / "svc", {
        "app/main.py": '''
            from fastapi import FastAPI, Depends
            from app.repo import UserRepo
            from app import clients
            from .audit import Auditor

            app = FastAPI()

            @app.get("/users/{uid}")
            def read(uid: int, auditor: Auditor = Depends()):
                repo = UserRepo()
                user = repo.fetch(uid)
                auditor.record(uid)
                clients.notify(user)
                return user
            ''',
        "app/__init__.py": "",
        "app/repo.py": '''
            from app.db import SessionLocal

            class UserRepo:
                def fetch(self, uid):
                    return self._query(uid)

                def _query(self, uid):
                    with SessionLocal() as s:
                        return s.get(uid)

                def unrelated(self):
                    return 0
            ''',
        "app/db.py": '''
            from sqlalchemy import create_engine
            from sqlalchemy.orm import sessionmaker

            engine = create_engine("postgresql://db/app", pool_size=5)
            SessionLocal = sessionmaker(bind=engine)
            ''',
        "app/audit.py": '''
            class Auditor:
                def record(self, uid):
                    print(uid)
            ''',
        "app/clients.py": '''
            import httpx

            http = httpx.Client(base_url="http://notify")

            def notify(user):
                return http.post("/n", json=user)
            ''',
    })
    index = index_source(src, progress=False)
    read = next(i for i, c in enumerate(index.chunks) if c.symbol == "read")
    assert index.chunks[read].var_types == {"auditor": "Auditor", "repo": "UserRepo"}
    reached = {index.chunks[i].symbol: (why, depth)
               for i, (score, why, depth) in index.graph.reach([read], depth=3).items()}
    assert reached["UserRepo.fetch"][0].startswith("called as repo.fetch() (method of UserRepo")
    assert reached["Auditor.record"][0].startswith("called as auditor.record() (method of Auditor")
    assert "imported from app/clients.py" in reached["notify"][0]
    assert reached["UserRepo._query"][1] == 2  # self._query() inside fetch
    assert reached["engine, SessionLocal"][1] == 3  # the DB set-up, three hops away
    assert "http" in reached  # the module-level HTTP client notify() uses
    assert "UserRepo.unrelated" not in reached
    ctx = index.context_for("read_users__uid__get")
    assert "app/repo.py lines 4-5: UserRepo.fetch (method; in `class UserRepo`; called as repo.fetch()" \
        in ctx.to_prompt()  # a method shows the class it belongs to
    assert [c.symbol for c in ctx.chunks[:1]] == ["read"]
    assert {"UserRepo.fetch", "UserRepo._query", "engine, SessionLocal", "notify", "http"} <= {
        c.symbol for c in ctx.chunks}
    index.close()


def test_self_fields_typed_in_init(tmp_path):
    src = _tree(tmp_path / "svc", {
        "svc.py": '''
            from repo import UserRepo

            class Service:
                def __init__(self):
                    self.repo = UserRepo()

                def get(self, uid):
                    return self.repo.fetch(uid)
            ''',
        "repo.py": '''
            class UserRepo:
                def fetch(self, uid):
                    return uid
            ''',
    })
    index = index_source(src, progress=False)
    get = next(i for i, c in enumerate(index.chunks) if c.symbol == "Service.get")
    reached = {index.chunks[i].symbol: why for i, (_, why, _) in index.graph.reach([get], depth=1).items()}
    assert reached["UserRepo.fetch"] == "called as self.repo.fetch() (method of UserRepo, the type of self.repo)"
    index.close()


def test_commonjs_module_objects_and_es_imports(tmp_path):
    src = _tree(tmp_path / "js", {
        "routes.js": '''
            const svc = require('./services/users');
            import { audit } from './audit.js';
            const router = require('express').Router();

            router.get('/users/:id', async (req, res) => {
              audit(req);
              res.json(await svc.findUser(req.params.id));
            });
            module.exports = router;
            ''',
        "services/users.js": '''
            const http = require('axios');

            async function findUser(id) {
              return (await http.get(`http://users/${id}`)).data;
            }

            function unused() {}

            module.exports = { findUser, unused };
            ''',
        "audit.js": '''
            export function audit(req) {
              console.log(req.url);
            }
            ''',
    })
    index = index_source(src, progress=False)
    index.set_endpoints([("getUser", "GET", "/users/1")])
    ctx = index.context_for("getUser")
    reasons = {c.symbol: c.reason for c in ctx.chunks}
    assert reasons["findUser"] == "called as svc.findUser() (imported from services/users.js)"
    assert reasons["audit"] == "called as audit() (imported from audit.js)"
    assert not reasons.get("unused", "").startswith("called")
    index.close()
