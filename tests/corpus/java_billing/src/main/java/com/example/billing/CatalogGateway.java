package com.example.billing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public class CatalogGateway {
    // defect: no connect timeout
    private final HttpClient client = HttpClient.newHttpClient();
    // trap: bounded
    private final HttpClient bounded = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    // defect: a builder without connectTimeout
    private final HttpClient legacy = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    public String product(String id) throws IOException, InterruptedException {
        // defect: the request has no timeout
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://catalog/products/" + id)).GET().build();
        return client.send(req, HttpResponse.BodyHandlers.ofString()).body();
    }

    public String price(String id) throws IOException, InterruptedException {
        // trap: the request is bounded
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://catalog/prices/" + id))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        return bounded.send(req, HttpResponse.BodyHandlers.ofString()).body()
                + legacy.version();
    }
}
