const { inventory, pricing } = require("./clients");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadProfile(id) {
  try {
    const r = await fetch(`${process.env.PROFILES_URL}/p/${id}`, { signal: AbortSignal.timeout(2000) });
    return await r.json();
  } catch (e) {}
}

async function loadProfileLogged(id) {
  try {
    const r = await fetch(`${process.env.PROFILES_URL}/p/${id}`, { signal: AbortSignal.timeout(2000) });
    return await r.json();
  } catch (err) {
    console.error("profile lookup failed", err);
    throw err;
  }
}

async function loadBadges(id) {
  try {
    const r = await pricing.get(`/badges/${id}`);
    return r.data;
  } catch (err) {
    return;
  }
}

async function fetchStock(sku) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const r = await fetch(`${process.env.STOCK_URL}/stock/${sku}`, { signal: AbortSignal.timeout(1000) });
      return await r.json();
    } catch (err) {
      console.warn("stock attempt failed", attempt, err);
    }
  }
  throw new Error("stock unavailable");
}

async function fetchStockPaced(sku) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const r = await fetch(`${process.env.STOCK_URL}/stock/${sku}`, { signal: AbortSignal.timeout(1000) });
      return await r.json();
    } catch (err) {
      await sleep(Math.min(100 * 2 ** attempt, 2000) + Math.random() * 100);
    }
  }
  throw new Error("stock unavailable");
}

async function fetchItem(sku) {
  let attempt = 0;
  while (attempt < 4) {
    try {
      const r = await inventory.get(`/items/${sku}`);
      return r.data;
    } catch (err) {
      attempt++;
    }
  }
  throw new Error("inventory unavailable");
}

async function placeOrder(order) {
  for (let i = 0; i < 3; i++) {
    try {
      const r = await pricing.post("/order-requests", order);
      return r.data;
    } catch (err) {
      console.warn("order attempt failed", err);
    }
  }
  throw new Error("order failed");
}

async function placeOrderKeyed(order) {
  for (let i = 0; i < 3; i++) {
    try {
      const r = await pricing.post("/order-requests", order, { headers: { "Idempotency-Key": order.id } });
      return r.data;
    } catch (err) {
      await sleep(Math.min(200 * 2 ** i, 2000) + Math.random() * 100);
    }
  }
  throw new Error("order failed");
}

async function recommend(user) {
  const r = await fetch(`${process.env.RECS_URL}/recs/${user}`);
  return r.json();
}

async function recommendBounded(user) {
  const r = await fetch(`${process.env.RECS_URL}/recs/${user}`, { signal: AbortSignal.timeout(1500) });
  return r.json();
}

module.exports = { loadProfile, loadProfileLogged, loadBadges, fetchStock, fetchStockPaced, fetchItem, placeOrder,
  placeOrderKeyed, recommend, recommendBounded };
