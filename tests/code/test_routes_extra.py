"""Go (gin, net/http) and Spring route mapping on small apps written here."""
from __future__ import annotations


from fault_nb.code import index_source

from _trees import write_tree as _tree




def test_go_gin_groups_and_net_http(tmp_path):
    src = _tree(tmp_path / "go", {
        "main.go": '''
            package main

            import (
                "net/http"
                "github.com/gin-gonic/gin"
            )

            func main() {
                r := gin.Default()
                v1 := r.Group("/v1")
                users := v1.Group("/users")
                users.GET("/:id", getUser)
                r.POST("/login", func(c *gin.Context) {
                    c.JSON(200, nil)
                })
                http.HandleFunc("GET /items/{id}", items.Show)
                r.Run()
            }
            ''',
        "users.go": '''
            package main

            func getUser(c *gin.Context) {
                u := store.Find(c.Param("id"))
                c.JSON(200, u)
            }
            ''',
        "items.go": '''
            package main

            type Items struct{}

            func (i *Items) Show(w http.ResponseWriter, r *http.Request) {
                w.Write(nil)
            }
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path): (r.function, r.framework) for r in index.routes}
    assert got == {
        ("GET", "/v1/users/:id"): ("getUser", "gin"),
        ("POST", "/login"): ('r.POST("/login")', "gin"),
        ("GET", "/items/{id}"): ("items.Show", "nethttp"),
    }
    index.set_endpoints([("getUser", "GET", "http://h/v1/users/42"), ("login", "POST", "/login"),
                         ("item", "GET", "/items/7")])
    m = index.handler_for("getUser")
    assert (m.how, m.file, m.function, m.start_line, m.end_line) == ("route", "users.go", "getUser", 3, 6)
    m = index.handler_for("login")
    assert (m.file, m.start_line, m.end_line) == ("main.go", 13, 15)
    m = index.handler_for("item")
    assert (m.file, m.function, m.start_line) == ("items.go", "Items.Show", 5)
    assert "found by name (receiver not resolved)" in m.reason  # said, not silently guessed
    assert index.lang == "go"
    index.close()


def test_spring_controllers(tmp_path):
    src = _tree(tmp_path / "java", {
        "src/main/java/demo/UserController.java": '''
            package demo;

            @RestController
            @RequestMapping("/api/users")
            public class UserController {
                private final UserService service;

                @GetMapping("/{id}")
                public User get(@PathVariable long id) {
                    return service.find(id);
                }

                @PostMapping
                public User create(@RequestBody User u) {
                    return service.save(u);
                }

                @RequestMapping(value = "/{id}", method = {RequestMethod.PUT, RequestMethod.PATCH})
                public User update(@PathVariable long id, @RequestBody User u) {
                    return service.save(u);
                }
            }
            ''',
        "src/main/java/demo/UserService.java": '''
            package demo;

            public class UserService {
                public User find(long id) { return repo.findById(id); }
                public User save(User u) { return repo.save(u); }
            }
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path): r.function for r in index.routes}
    assert got == {("GET", "/api/users/{id}"): "UserController.get", ("POST", "/api/users"): "UserController.create",
                   ("PUT", "/api/users/{id}"): "UserController.update",
                   ("PATCH", "/api/users/{id}"): "UserController.update"}
    assert {r.framework for r in index.routes} == {"spring"}
    index.set_endpoints([("getUser", "GET", "/api/users/5")])
    m = index.handler_for("getUser")
    assert (m.how, m.function, m.start_line, m.end_line) == ("route", "UserController.get", 8, 11)
    ctx = index.context_for("getUser")
    assert "UserService.find" in {c.symbol for c in ctx.chunks}  # service.find() resolved by name
    index.close()


def test_nestjs_controllers_with_global_prefix(tmp_path):
    src = _tree(tmp_path / "nest", {
        "src/main.ts": '''
            import { NestFactory } from '@nestjs/core';
            import { AppModule } from './app.module';

            async function bootstrap() {
              const app = await NestFactory.create(AppModule);
              app.setGlobalPrefix('api');
              await app.listen(3000);
            }
            bootstrap();
            ''',
        "src/users/users.controller.ts": '''
            import { Controller, Get, Post, Param, Body } from '@nestjs/common';
            import { UsersService } from './users.service';

            @Controller('users')
            export class UsersController {
              constructor(private readonly users: UsersService) {}

              @Get(':id')
              findOne(@Param('id') id: string) {
                return this.users.findOne(id);
              }

              @Post()
              @HttpCode(201)
              create(@Body() dto: CreateUserDto) {
                return this.users.create(dto);
              }
            }
            ''',
        "src/users/users.service.ts": '''
            export class UsersService {
              findOne(id: string) { return fetch(`http://db/${id}`); }
              create(dto: any) { return dto; }
            }
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path): (r.function, r.start_line, r.end_line) for r in index.routes}
    assert got == {("GET", "/api/users/:id"): ("UsersController.findOne", 8, 11),
                   ("POST", "/api/users"): ("UsersController.create", 13, 17)}
    assert index.lang == "typescript"
    # the decorators belong to the method's chunk, not to a stray "members" chunk
    chunk = next(c for c in index.chunks if c.symbol == "UsersController.create")
    assert (chunk.start_line, chunk.end_line) == (13, 17) and chunk.text.lstrip().startswith("@Post()")
    assert not [c for c in index.chunks if c.kind == "class_members"]
    index.set_endpoints([("getUser", "GET", "http://h/api/users/9")])
    m = index.handler_for("getUser")
    assert (m.how, m.framework, m.function) == ("route", "nest", "UsersController.findOne")
    ctx = index.context_for("getUser")
    assert ctx.chunks[0].symbol == "UsersController.findOne"
    reasons = {c.symbol: c.reason for c in ctx.chunks}
    assert reasons["UsersService.findOne"].startswith(
        "called as this.users.findOne() (method of UsersService, the type of this.users")
    index.close()


def test_rust_actix_and_axum(tmp_path):
    src = _tree(tmp_path / "rs", {
        "src/actix_app.rs": '''
            use actix_web::{get, post, web, App, HttpResponse, Responder};

            #[get("/{id}")]
            async fn get_user(path: web::Path<u32>) -> impl Responder {
                HttpResponse::Ok().body(load(path.into_inner()))
            }

            #[post("/login")]
            async fn login() -> impl Responder {
                HttpResponse::Ok()
            }

            pub fn config(cfg: &mut web::ServiceConfig) {
                cfg.service(web::scope("/users").service(get_user)).service(login);
            }
            ''',
        "src/axum_app.rs": '''
            use axum::{routing::{get, post}, Router};

            pub fn app() -> Router {
                Router::new()
                    .route("/health", get(|| async { "ok" }))
                    .nest("/api", api())
            }

            fn api() -> Router {
                Router::new().route("/items/:id", get(handlers::show).post(create_item))
            }

            async fn create_item() -> &'static str {
                "created"
            }
            ''',
        "src/handlers.rs": '''
            pub async fn show() -> &'static str {
                "item"
            }
            ''',
    })
    index = index_source(src, progress=False)
    got = {(r.method, r.path): (r.function, r.framework) for r in index.routes}
    assert got == {
        ("GET", "/users/{id}"): ("get_user", "actix"),
        ("POST", "/login"): ("login", "actix"),
        ("GET", "/health"): ('route("/health").get', "axum"),
        ("GET", "/api/items/:id"): ("handlers.show", "axum"),
        ("POST", "/api/items/:id"): ("create_item", "axum"),
    }
    index.set_endpoints([("getUser", "GET", "/users/3"), ("health", "GET", "/health"),
                         ("show", "GET", "/api/items/1"), ("create", "POST", "/api/items/{id}")])
    m = index.handler_for("getUser")
    assert (m.file, m.function, m.start_line, m.end_line) == ("src/actix_app.rs", "get_user", 3, 6)
    chunk = next(c for c in index.chunks if c.symbol == "get_user")
    assert chunk.start_line == 3 and chunk.text.startswith('#[get("/{id}")]')  # the attribute leads its fn
    m = index.handler_for("health")
    assert (m.file, m.start_line, m.end_line) == ("src/axum_app.rs", 5, 5)
    m = index.handler_for("show")
    assert (m.file, m.function) == ("src/handlers.rs", "show")
    m = index.handler_for("create")
    assert (m.file, m.function, m.start_line) == ("src/axum_app.rs", "create_item", 13)
    assert index.lang == "rust"
    index.close()


def test_go_client_calls_are_not_chi_routes(tmp_path):
    """`http.Post(url, contentType, body)` and `client.Post(...)` (an *http.Client) are outbound calls;
    chi's `r.Post(pattern, handler)` is the route."""
    src = _tree(tmp_path / "chi", {
        "main.go": '''
            package main

            import (
                "net/http"
                "github.com/go-chi/chi/v5"
            )

            func main() {
                r := chi.NewRouter()
                r.Post("/orders", createOrder)
                r.Get("/x", getX)
                http.ListenAndServe(":3000", r)
            }
            ''',
        "orders.go": '''
            package main

            func createOrder(w http.ResponseWriter, r *http.Request) {
                client := &http.Client{}
                client.Post("/orders", "application/json", r.Body)
                http.Post("/orders", "application/json", r.Body)
                w.WriteHeader(201)
            }

            func getX(w http.ResponseWriter, r *http.Request) {
                w.Write(nil)
            }
            ''',
    })
    index = index_source(src, progress=False)
    try:
        got = sorted((r.method, r.path, r.file, r.function) for r in index.routes)
        assert got == [("GET", "/x", "main.go", "getX"), ("POST", "/orders", "main.go", "createOrder")]
        index.set_endpoints([("createOrder", "POST", "http://h/orders")])
        m = index.handler_for("createOrder")
        assert (m.how, m.file, m.function, m.start_line) == ("route", "orders.go", "createOrder", 3)
    finally:
        index.close()
