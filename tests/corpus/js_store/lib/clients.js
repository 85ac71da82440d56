const axios = require("axios");

// defect: an axios instance without a timeout, created once and shared
const inventory = axios.create({ baseURL: process.env.INVENTORY_URL });

// trap: bounded instance
const pricing = axios.create({ baseURL: process.env.PRICING_URL, timeout: 2000 });

module.exports = { inventory, pricing };
