package dev.tierstack.web.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CSRF token travels in a cookie, and no page opens an HTTP session: a form rendered
 * by one web node can be posted to another. (Against the running server: MockMvc's
 * {@code csrf()} support swaps the token repository of a shared context.)
 */
@WebTierOverStandIns
class CsrfCookieTests extends StandIns {

	@LocalServerPort
	private int port;

	@Test
	void pagesSetAnHttpOnlySameSiteCsrfCookieAndNoSession() throws Exception {
		resetStandIns();
		HttpResponse<String> page = page(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/orders/lookup")));
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().allValues("Set-Cookie")).singleElement()
			.asString()
			.startsWith("XSRF-TOKEN=")
			.contains("HttpOnly")
			.contains("SameSite=Lax")
			.doesNotContain("Secure")
			.doesNotContain("JSESSIONID");
	}

	/**
	 * Behind the load balancers, which end TLS and say so in {@code X-Forwarded-Proto},
	 * the cookie is {@code Secure}: a browser never sends it over plain HTTP.
	 */
	@Test
	void theCookieIsSecureWhenTheLoadBalancerSaysTheRequestCameOverHttps() throws Exception {
		resetStandIns();
		HttpResponse<String> page = page(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/orders/lookup"))
					.header("X-Forwarded-Proto", "https")
					.header("X-Forwarded-Port", "443"));
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().allValues("Set-Cookie")).singleElement()
			.asString()
			.startsWith("XSRF-TOKEN=")
			.contains("Secure");
	}

	/**
	 * The catalog has no form to post: it sets no cookie, so the load balancers may keep
	 * it.
	 */
	@Test
	void theCatalogSetsNoCookie() throws Exception {
		resetStandIns();
		HttpResponse<String> page = page(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/")));
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().allValues("Set-Cookie")).isEmpty();
		assertThat(page.headers().firstValue("Cache-Control")).hasValue("max-age=1, public");
	}

	private static HttpResponse<String> page(HttpRequest.Builder request) throws Exception {
		return HttpClient.newHttpClient().send(request.build(), BodyHandlers.ofString());
	}

}
