package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

func itemHandler(w http.ResponseWriter, r *http.Request) {
	item, err := fetchItem(r.Context(), r.URL.Query().Get("sku"))
	if err != nil {
		http.Error(w, "inventory unavailable", http.StatusBadGateway)
		return
	}
	json.NewEncoder(w).Encode(item)
}

func priceHandler(w http.ResponseWriter, r *http.Request) {
	a, _ := fetchPrice(r.URL.Query().Get("sku"))
	b, _ := fetchPriceBounded(r.Context(), r.URL.Query().Get("sku"))
	json.NewEncoder(w).Encode([]string{a, b})
}

func ratesHandler(w http.ResponseWriter, r *http.Request) {
	a, _ := fetchRates(r.Context())
	resp, err := fetchRatesRaw(r.Context())
	if err != nil {
		http.Error(w, "rates unavailable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
	w.Write([]byte(a))
}

func shipHandler(w http.ResponseWriter, r *http.Request) {
	if err := notifyShipping(r.Context(), r.URL.Query().Get("id")); err != nil {
		http.Error(w, "shipping unavailable", http.StatusBadGateway)
	}
}

func reviewsHandler(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequest(http.MethodGet, "http://reviews/list", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		http.Error(w, "reviews unavailable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func auditHandler(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://audit/log", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		http.Error(w, "audit unavailable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func searchHandler(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Transport: http.DefaultTransport}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://search/q", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, "search unavailable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func statusHandler(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Timeout: 500 * time.Millisecond}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://status/ping", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, "status unavailable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func pointsHandler(w http.ResponseWriter, r *http.Request) {
	p, _ := loyaltyPoints(r.URL.Query().Get("sku"))
	w.Write([]byte(p))
}

func boundedHandler(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://bounded/x", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		http.Error(w, "bounded unavailable", http.StatusBadGateway)
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	w.Write(b)
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/items", itemHandler)
	mux.HandleFunc("/prices", priceHandler)
	mux.HandleFunc("/rates", ratesHandler)
	mux.HandleFunc("/ship", shipHandler)
	mux.HandleFunc("/reviews", reviewsHandler)
	mux.HandleFunc("/audit", auditHandler)
	mux.HandleFunc("/search", searchHandler)
	mux.HandleFunc("/status", statusHandler)
	mux.HandleFunc("/points", pointsHandler)
	mux.HandleFunc("/bounded", boundedHandler)
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	srv.ListenAndServe()
}
