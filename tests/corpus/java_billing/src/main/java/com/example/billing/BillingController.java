package com.example.billing;

import java.io.IOException;
import java.util.Map;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestTemplate;

@RestController
@RequestMapping("/billing")
public class BillingController {
    private final PaymentService payments;
    private final RefundService refunds;
    private final RatesClient rates;
    private final CatalogGateway catalog = new CatalogGateway();

    public BillingController(PaymentService payments, RefundService refunds, RatesClient rates) {
        this.payments = payments;
        this.refunds = refunds;
        this.rates = rates;
    }

    @PostMapping("/orders/{id}/charge")
    public Map<?, ?> charge(@PathVariable String id) {
        return this.payments.charge(id);
    }

    @PostMapping("/orders/{id}/refund")
    public Map<?, ?> refund(@PathVariable String id) {
        return this.refunds.refund(id);
    }

    @GetMapping("/rates")
    public String rates() {
        return this.rates.today();
    }

    @GetMapping("/products/{id}")
    public String product(@PathVariable String id) throws IOException, InterruptedException {
        return this.catalog.product(id) + this.catalog.price(id);
    }

    @GetMapping("/invoices/{id}")
    public String invoice(@PathVariable String id) {
        // defect: a RestTemplate built per request, without timeouts
        RestTemplate rest = new RestTemplate();
        return rest.getForObject("http://invoices/" + id, String.class);
    }
}
