package dev.tierstack.web.e2e;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a browser does with the pages, over plain HTTP: keeps cookies, reads hidden form
 * fields, posts forms, does not follow redirects on its own (the tests look at them).
 */
final class Browser {

	private final HttpClient http = HttpClient.newBuilder()
		.cookieHandler(new CookieManager())
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private final String baseUrl;

	Browser(String baseUrl) {
		this.baseUrl = baseUrl;
	}

	HttpResponse<String> get(String path) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create(this.baseUrl + path))
			.header("Accept", "text/html")
			.timeout(Duration.ofSeconds(20))
			.build(), BodyHandlers.ofString());
	}

	HttpResponse<String> postForm(String path, Map<String, String> fields) throws Exception {
		String form = fields.entrySet()
			.stream()
			.map((field) -> encode(field.getKey()) + "=" + encode(field.getValue()))
			.collect(Collectors.joining("&"));
		return this.http.send(HttpRequest.newBuilder(URI.create(this.baseUrl + path))
			.header("Accept", "text/html")
			.header("Content-Type", "application/x-www-form-urlencoded")
			.timeout(Duration.ofSeconds(20))
			.POST(BodyPublishers.ofString(form))
			.build(), BodyHandlers.ofString());
	}

	static String hiddenField(String html, String name) {
		Matcher field = Pattern.compile("<input type=\"hidden\"[^>]*name=\"" + name + "\"[^>]*value=\"([^\"]*)\"")
			.matcher(html);
		if (!field.find()) {
			throw new AssertionError("no hidden field " + name + " in the page");
		}
		return field.group(1);
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

}
