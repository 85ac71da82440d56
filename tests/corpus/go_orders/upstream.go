package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

func fetchItem(ctx context.Context, sku string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://inventory/items/"+sku, nil)
	if err != nil {
		return nil, err
	}
	resp, err := inventoryClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func fetchPrice(sku string) (string, error) {
	resp, err := http.Get("http://pricing/prices/" + sku)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func fetchPriceBounded(ctx context.Context, sku string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://pricing/prices/"+sku, nil)
	if err != nil {
		return "", err
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func fetchRates(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://rates/today", nil)
	if err != nil {
		return "", err
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func fetchRatesRaw(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://rates/today", nil)
	if err != nil {
		return nil, err
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func notifyShipping(ctx context.Context, id string) error {
	req, err := http.NewRequest(http.MethodPost, "http://shipping/notify/"+id, nil)
	if err != nil {
		return err
	}
	resp, err := pricingClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return ctx.Err()
}

func loyaltyPoints(sku string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://loyalty/"+sku, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
