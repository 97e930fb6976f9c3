package dev.tierstack.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import static org.assertj.core.api.Assertions.assertThat;

class ServerTimingFilterTests {

	private final MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");

	private final MockHttpServletResponse response = new MockHttpServletResponse();

	@AfterEach
	void resetRequestContext() {
		RequestContextHolder.resetRequestAttributes();
	}

	// As Spring MVC does for the handler: the current request, for
	// ServerTimingFilter.add.
	private void filter(Tier tier, FilterChain chain) throws Exception {
		new ServerTimingFilter(tier).doFilter(this.request, this.response, (request, response) -> {
			RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(this.request));
			chain.doFilter(request, response);
		});
	}

	@Test
	void timesTheTierAndSumsWhatWasAddedByName() throws Exception {
		filter(Tier.APP, (request, response) -> {
			ServerTimingFilter.add("db", 1_200_000);
			ServerTimingFilter.add("db", 340_000);
			response.getOutputStream().write('x');
		});
		assertThat(this.response.getHeader("Server-Timing")).matches("app;dur=[0-9]+\\.[0-9], db;dur=1\\.5");
	}

	@Test
	void addsUpTheAppTiersEntriesOfEveryCall() throws Exception {
		filter(Tier.WEB, (request, response) -> {
			ServerTimingFilter.addAll("app;dur=3.2, db;dur=1.0");
			ServerTimingFilter.addAll("app;desc=\"catalog\";dur=0.65, db;dur=1.1, cache, x;dur=abc");
			ServerTimingFilter.addAll(null);
			response.getWriter().write("<html>");
		});
		assertThat(this.response.getHeader("Server-Timing"))
			.matches("web;dur=[0-9]+\\.[0-9], app;dur=3\\.9, db;dur=2\\.1");
	}

	@Test
	void passesTheAppTiersHeaderOnAfterItsOwnEntry() throws Exception {
		filter(Tier.WEB, (request, response) -> {
			this.response.setHeader("Server-Timing", "app;dur=3.2, db;dur=1.0");
			response.getOutputStream().write('x');
		});
		assertThat(this.response.getHeaders("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[0-9]+\\.[0-9], app;dur=3\\.2, db;dur=1\\.0");
	}

	@Test
	void aResponseWithoutBodyGetsItOnTheWayOut() throws Exception {
		filter(Tier.APP, (request, response) -> this.response.setStatus(204));
		assertThat(this.response.getHeader("Server-Timing")).matches("app;dur=[0-9]+\\.[0-9]");
	}

	@Test
	void theErrorDispatchTimesTheWholeRequestAndReplacesTheFirstHeader() throws Exception {
		filter(Tier.WEB, (request, response) -> {
			ServerTimingFilter.add("app", 2_000_000);
			this.response.sendError(503);
		});
		Thread.sleep(20);
		this.request.setDispatcherType(DispatcherType.ERROR);
		filter(Tier.WEB, (request, response) -> response.getWriter().write("<html>"));
		assertThat(this.response.getHeaders("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[2-9][0-9]\\.[0-9], app;dur=2\\.0");
	}

	@Test
	void aBodyLargerThanTheResponseBufferGoesOutWithTheHeader() throws Exception {
		try (ConfigurableApplicationContext node = TestNode.start()) {
			URI uri = URI
				.create("http://127.0.0.1:" + node.getEnvironment().getProperty("local.server.port") + "/large");
			HttpResponse<String> response = HttpClient.newHttpClient()
				.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
			assertThat(response.body()).hasSize(256 * 1024);
			assertThat(response.headers().firstValue("Transfer-Encoding")).as("committed before its end")
				.hasValue("chunked");
			assertThat(response.headers().firstValue("Server-Timing"))
				.hasValueSatisfying((timing) -> assertThat(timing).matches("app;dur=[0-9]+\\.[0-9]"));
		}
	}

}
