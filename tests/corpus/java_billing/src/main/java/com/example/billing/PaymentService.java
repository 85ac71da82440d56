package com.example.billing;

import java.util.Map;

import org.springframework.stereotype.Service;
import org.springframework.web.client.RestTemplate;

@Service
public class PaymentService {
    // defect: no connect or read timeout
    private final RestTemplate rest = new RestTemplate();

    public Map<?, ?> charge(String orderId) {
        return rest.postForObject("http://payments/charges/" + orderId, null, Map.class);
    }
}
