package com.example.billing;

import java.time.Duration;

import io.netty.channel.ChannelOption;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;

@Component
public class RatesClient {
    // defect: WebClient.create has no connect or response timeout
    private final WebClient rates = WebClient.create("http://rates");
    private final WebClient fx;
    private final WebClient tax;

    public RatesClient() {
        // defect: built without a connector
        this.fx = WebClient.builder().baseUrl("http://fx").build();
        // trap: a connector with both timeouts
        this.tax = WebClient.builder()
                .baseUrl("http://tax")
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create()
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1000)
                        .responseTimeout(Duration.ofSeconds(2))))
                .build();
    }

    public String today() {
        return rates.get().uri("/today").retrieve().bodyToMono(String.class).block()
                + fx.get().uri("/eur").retrieve().bodyToMono(String.class).block()
                + tax.get().uri("/vat").retrieve().bodyToMono(String.class).block();
    }
}
