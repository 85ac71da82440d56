import express, { Request, Response } from "express";
import * as fs from "fs";
import * as zlib from "zlib";
import { getPrice, getPriceBounded, getProduct, getRating, getRatingPaced, getReviews, getStock,
  getStockLogged } from "./upstream";

const app = express();

async function product(req: Request, res: Response): Promise<void> {
  const p = await getProduct(req.params.id);
  const r = await getReviews(req.params.id);
  res.json({ p, r });
}

async function price(req: Request, res: Response): Promise<void> {
  try {
    const a = await getPrice(req.params.id);
    const b = await getPriceBounded(req.params.id);
    res.json({ a, b });
  } catch (err: unknown) {
  }
}

async function stock(req: Request, res: Response): Promise<void> {
  const a = await getStock(req.params.id);
  const b = await getStockLogged(req.params.id);
  res.json({ a, b });
}

async function rating(req: Request, res: Response): Promise<void> {
  const a = await getRating(req.params.id);
  const b = await getRatingPaced(req.params.id);
  res.json({ a, b });
}

async function banner(req: Request, res: Response): Promise<void> {
  const html = fs.readFileSync("banner.html", "utf8");
  res.send(html);
}

async function bannerAsync(req: Request, res: Response): Promise<void> {
  const html = await fs.promises.readFile("banner.html", "utf8");
  res.send(html);
}

async function archive(req: Request, res: Response): Promise<void> {
  const packed = zlib.deflateSync(Buffer.from(req.params.id));
  res.send(packed);
}

async function health(req: Request, res: Response): Promise<void> {
  try {
    await getPriceBounded("ping");
    res.json({ ok: true });
  } catch (err: unknown) {
    console.error("health check failed", err);
    res.status(503).json({ ok: false });
  }
}

app.get("/products/:id", product);
app.get("/prices/:id", price);
app.get("/stock/:id", stock);
app.get("/ratings/:id", rating);
app.get("/banner", banner);
app.get("/banner2", bannerAsync);
app.get("/archive/:id", archive);
app.get("/health", health);

export default app;
