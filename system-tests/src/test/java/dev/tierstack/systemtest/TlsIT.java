package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTPS at the VIP: the local CA's certificate, TLS 1.2 and 1.3 with forward-secret AEAD
 * ciphers only, HTTP/2 by ALPN, plain HTTP redirected, HSTS, {@code Secure} cookies, and
 * one TLS session that both load balancers resume. The protocol checks use OpenSSL's
 * {@code s_client}, which offers what the JDK's client refuses to.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(1)
class TlsIT {

	private static ComposeStack stack;

	private static HttpClient http;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		http = Http.client();
	}

	@Test
	void plainHttpIsRedirectedToTheSameAddressOverHttps() {
		HttpResponse<String> page = Http.get(http, "http://" + stack.vip(), "/books/9781900000017?from=a%20link");
		assertThat(page.statusCode()).isEqualTo(308);
		assertThat(page.headers().firstValue("Location"))
			.hasValue("https://" + stack.vip() + "/books/9781900000017?from=a%20link");

		// 308, not 301: an API client's POST is repeated as a POST, with its body;
		// nothing
		// reached the tiers over plain HTTP.
		HttpResponse<String> order = Http.send(http,
				Http.request("http://" + stack.vip(), "/api/orders")
					.header("Content-Type", "application/json")
					.POST(BodyPublishers.ofString("{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1}]}"))
					.build());
		assertThat(order.statusCode()).isEqualTo(308);
		assertThat(order.headers().firstValue("Location")).hasValue(stack.vipUrl() + "/api/orders");
		assertThat(order.headers().firstValue("X-Web-Node")).isEmpty();

		// Through lb1's published ports (Docker Desktop, or a client on the host): to the
		// published HTTPS port, where the same certificate holds for 127.0.0.1.
		String plain = stack.published(80);
		String secure = stack.published(443);
		HttpResponse<String> published = Http.get(http, "http://" + plain, "/?page=2");
		assertThat(published.statusCode()).isEqualTo(308);
		assertThat(published.headers().firstValue("Location")).hasValue("https://" + secure + "/?page=2");
		assertThat(Http.get(http, "https://" + secure, "/?page=2").statusCode()).isEqualTo(200);
	}

	@Test
	void httpsAnswersWithHstsSecureCookiesAndHttp2WhereOffered() {
		// A page of the order controller, which sets the CSRF cookie (the catalog sets
		// none).
		HttpResponse<String> h2 = Http.get(Http.client(HttpClient.Version.HTTP_2), stack.vipUrl(), "/orders/lookup");
		assertThat(h2.statusCode()).isEqualTo(200);
		assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
		assertThat(h2.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
		assertThat(h2.headers().allValues("Set-Cookie")).singleElement()
			.asString()
			.startsWith("XSRF-TOKEN=")
			.contains("Secure");

		HttpResponse<String> h1 = Http.get(http, stack.vipUrl(), "/api/books?size=1");
		assertThat(h1.statusCode()).isEqualTo(200);
		assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
		assertThat(h1.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
	}

	@Test
	void onlyTls12And13WithForwardSecretAeadCiphers() {
		String vip = stack.vip() + ":443";
		Map<String, String> accepted = new java.util.TreeMap<>();
		for (String protocol : List.of("-tls1_3", "-tls1_2")) {
			Proc.Result handshake = TlsClient.handshake(vip, protocol);
			assertThat(handshake.exitCode()).as(handshake.out() + handshake.err()).isZero();
			accepted.put(protocol,
					TlsClient.line(handshake, "Protocol version") + ", " + TlsClient.line(handshake, "Ciphersuite"));
		}
		assertThat(accepted.get("-tls1_3")).startsWith("Protocol version: TLSv1.3");
		assertThat(accepted.get("-tls1_2")).startsWith("Protocol version: TLSv1.2").contains("ECDHE-ECDSA-AES");

		// Refused: older protocols, and TLS 1.2 without forward secrecy or with CBC.
		for (List<String> refused : List.of(List.of("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"),
				List.of("-tls1", "-cipher", "DEFAULT@SECLEVEL=0"), List.of("-tls1_2", "-cipher", "AES128-GCM-SHA256"),
				List.of("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"))) {
			Proc.Result handshake = TlsClient.handshake(vip, refused.toArray(String[]::new));
			assertThat(handshake.exitCode()).as(String.join(" ", refused) + ": " + handshake.out() + handshake.err())
				.isNotZero();
		}
		Results.of("tls").put("accepted", accepted).write();
	}

	/**
	 * A session the client got from one load balancer resumes on the other: what a client
	 * sees when the VIP moves between them (both encrypt their session tickets with the
	 * same keys).
	 */
	@Test
	void aTlsSessionResumesOnTheOtherLoadBalancer(@TempDir Path temp) throws Exception {
		Path session = temp.resolve("session.pem");
		Proc.Result first = TlsClient.request(stack.edgeAddress("lb1") + ":443", "-sess_out", session.toString());
		assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
		assertThat(first.out()).contains("New, TLSv1.3");
		assertThat(Files.size(session)).isPositive();

		Proc.Result other = TlsClient.request(stack.edgeAddress("lb2") + ":443", "-sess_in", session.toString());
		assertThat(other.exitCode()).as(other.out() + other.err()).isZero();
		assertThat(other.out()).as("resumed on lb2").contains("Reused, TLSv1.3");
		assertThat(other.out().toLowerCase(java.util.Locale.ROOT)).contains("x-lb-node: lb2");

		Results.of("tls-resumption")
			.put("firstHandshake", TlsClient.line(first, "New, TLSv1.3"))
			.put("onTheOtherNode", TlsClient.line(other, "Reused, TLSv1.3"))
			.write();
	}

}
