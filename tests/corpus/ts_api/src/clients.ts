import axios from "axios";

// defect: no timeout on the shared instance
export const catalog = axios.create({ baseURL: process.env.CATALOG_URL });

// trap: a bounded instance
export const reviews = axios.create({ baseURL: process.env.REVIEWS_URL, timeout: 1500 });
