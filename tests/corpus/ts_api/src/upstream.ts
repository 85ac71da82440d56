import { catalog, reviews } from "./clients";

export interface Product { id: string; name: string }

export async function getProduct(id: string): Promise<Product> {
  const r = await catalog.get<Product>(`/products/${id}`);
  return r.data;
}

export async function getReviews(id: string): Promise<unknown[]> {
  const r = await reviews.get<unknown[]>(`/reviews/${id}`);
  return r.data;
}

export async function getPrice(id: string): Promise<number> {
  const r = await fetch(`${process.env.PRICES_URL}/prices/${id}`);
  const body = (await r.json()) as { price: number };
  return body.price;
}

export async function getPriceBounded(id: string): Promise<number> {
  const r = await fetch(`${process.env.PRICES_URL}/prices/${id}`, { signal: AbortSignal.timeout(1000) });
  const body = (await r.json()) as { price: number };
  return body.price;
}

export async function getStock(id: string): Promise<number | undefined> {
  try {
    const r = await reviews.get<{ n: number }>(`/stock/${id}`);
    return r.data.n;
  } catch (e: unknown) {
    // best effort
  }
}

export async function getStockLogged(id: string): Promise<number> {
  try {
    const r = await reviews.get<{ n: number }>(`/stock/${id}`);
    return r.data.n;
  } catch (e: unknown) {
    console.error("stock lookup failed", e);
    throw e;
  }
}

export async function getRating(id: string): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const r = await reviews.get<{ rating: number }>(`/ratings/${id}`);
      return r.data.rating;
    } catch (e: unknown) {
      continue;
    }
  }
  return 0;
}

export async function getRatingPaced(id: string): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const r = await reviews.get<{ rating: number }>(`/ratings/${id}`);
      return r.data.rating;
    } catch (e: unknown) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000) + Math.random() * 100));
    }
  }
  return 0;
}
