mod upstream;

use axum::{extract::Path, routing::get, Router};

async fn stock_handler(Path(sku): Path<String>) -> String {
    upstream::stock(&sku).await.unwrap_or_default()
}

async fn price_handler(Path(sku): Path<String>) -> String {
    upstream::price(&sku).await.unwrap_or_default()
}

async fn rates_handler() -> String {
    upstream::rates().await.unwrap_or_default()
}

async fn reviews_handler(Path(sku): Path<String>) -> String {
    let a = upstream::reviews(&sku).await.unwrap_or_default();
    let b = upstream::ratings(&sku).await.unwrap_or_default();
    a + &b
}

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/stock/:sku", get(stock_handler))
        .route("/prices/:sku", get(price_handler))
        .route("/rates", get(rates_handler))
        .route("/reviews/:sku", get(reviews_handler));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
