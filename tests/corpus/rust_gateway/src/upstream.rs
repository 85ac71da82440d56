use std::time::Duration;

use once_cell::sync::Lazy;
use reqwest::Client;

// defect: a shared client without a timeout
pub static INVENTORY: Lazy<Client> = Lazy::new(|| Client::new());

// trap: a shared client with a timeout
pub static PRICING: Lazy<Client> = Lazy::new(|| {
    Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("pricing client")
});

pub async fn stock(sku: &str) -> Result<String, reqwest::Error> {
    INVENTORY.get(format!("http://inventory/stock/{sku}")).send().await?.text().await
}

pub async fn price(sku: &str) -> Result<String, reqwest::Error> {
    PRICING.get(format!("http://pricing/{sku}")).send().await?.text().await
}

pub async fn rates() -> Result<String, reqwest::Error> {
    // defect: reqwest::get uses a client without a timeout
    reqwest::get("http://rates/today").await?.text().await
}

pub async fn reviews(sku: &str) -> Result<String, reqwest::Error> {
    // defect: a builder without a timeout
    let client = reqwest::Client::builder().user_agent("gateway").build()?;
    client.get(format!("http://reviews/{sku}")).send().await?.text().await
}

pub async fn ratings(sku: &str) -> Result<String, reqwest::Error> {
    // trap: a builder with a timeout
    let client = reqwest::Client::builder()
        .user_agent("gateway")
        .timeout(Duration::from_millis(1500))
        .build()?;
    client.get(format!("http://ratings/{sku}")).send().await?.text().await
}
