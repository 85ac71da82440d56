package main

import (
	"net/http"
	"time"
)

// defect: no timeout on the shared client
var inventoryClient = &http.Client{}

// trap: a bounded client
var pricingClient = &http.Client{Timeout: 2 * time.Second}
