const express = require("express");
const fs = require("fs");
const crypto = require("crypto");
const zlib = require("zlib");
const childProcess = require("child_process");
const util = require("util");
const upstream = require("./lib/upstream");

const app = express();
app.use(express.json());
// trap: read once at start-up, not on the request path
const TEMPLATE = fs.readFileSync(__dirname + "/package.json", "utf8");
const pbkdf2 = util.promisify(crypto.pbkdf2);

async function getProfile(req, res) {
  const profile = await upstream.loadProfile(req.params.id);
  const logged = await upstream.loadProfileLogged(req.params.id);
  const badges = await upstream.loadBadges(req.params.id);
  res.json({ profile, logged, badges });
}

async function getCart(req, res) {
  try {
    const stock = await upstream.fetchStock(req.params.sku);
    res.json({ stock });
  } catch (err) {
    // ignore: the cart shows without stock
  }
}

async function getCartSafe(req, res) {
  try {
    const stock = await upstream.fetchStockPaced(req.params.sku);
    res.json({ stock });
  } catch (err) {
    console.error("stock failed", err);
    res.status(503).json({ error: "stock unavailable" });
  }
}

async function getItem(req, res) {
  const item = await upstream.fetchItem(req.params.sku);
  res.json(item);
}

async function createOrder(req, res) {
  const a = await upstream.placeOrder(req.body);
  const b = await upstream.placeOrderKeyed(req.body);
  res.status(201).json({ a, b });
}

async function getTerms(req, res) {
  const text = fs.readFileSync(__dirname + "/terms.txt", "utf8");
  res.type("text").send(text);
}

async function getTermsAsync(req, res) {
  const text = await fs.promises.readFile(__dirname + "/terms.txt", "utf8");
  res.type("text").send(text + TEMPLATE.length);
}

async function login(req, res) {
  const hash = crypto.pbkdf2Sync(req.body.password, "salt", 100000, 64, "sha512");
  res.json({ ok: hash.length > 0 });
}

async function loginAsync(req, res) {
  const hash = await pbkdf2(req.body.password, "salt", 100000, 64, "sha512");
  res.json({ ok: hash.length > 0 });
}

async function exportData(req, res) {
  const body = zlib.gzipSync(JSON.stringify({ id: req.params.id }));
  res.type("application/gzip").send(body);
}

async function version(req, res) {
  const out = childProcess.execSync("git rev-parse HEAD");
  res.json({ version: out.toString().trim() });
}

async function recs(req, res) {
  const a = await upstream.recommend(req.params.user);
  const b = await upstream.recommendBounded(req.params.user);
  res.json({ a, b });
}

async function streamTerms(req, res) {
  // trap: a stream, not a synchronous read
  fs.createReadStream(__dirname + "/terms.txt").pipe(res);
}

async function ping(req, res) {
  try {
    const r = await fetch(process.env.PING_URL, { signal: AbortSignal.timeout(500) });
    res.json({ ok: r.ok });
  } catch (err) {
    // trap: logged, and answered
    console.error("ping failed", err);
    res.status(503).json({ ok: false });
  }
}

app.get("/profiles/:id", getProfile);
app.get("/terms3", streamTerms);
app.get("/ping", ping);
app.get("/cart/:sku", getCart);
app.get("/cart2/:sku", getCartSafe);
app.get("/items/:sku", getItem);
app.post("/orders", createOrder);
app.get("/terms", getTerms);
app.get("/terms2", getTermsAsync);
app.post("/login", login);
app.post("/login2", loginAsync);
app.get("/export/:id", exportData);
app.get("/version", version);
app.get("/recs/:user", recs);

app.listen(process.env.PORT || 3000);
