package com.example.billing;

import java.util.Map;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.stereotype.Service;
import org.springframework.web.client.RestTemplate;

@Service
public class RefundService {
    private final RestTemplate rest;

    public RefundService() {
        // trap: a factory with both timeouts
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setConnectTimeout(1000);
        factory.setReadTimeout(3000);
        this.rest = new RestTemplate(factory);
    }

    public Map<?, ?> refund(String orderId) {
        return rest.postForObject("http://payments/refunds/" + orderId, null, Map.class);
    }
}
