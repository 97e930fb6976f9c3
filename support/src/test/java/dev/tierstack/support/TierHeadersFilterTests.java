package dev.tierstack.support;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.RequestDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.MDC;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

class TierHeadersFilterTests {

	private final List<String> loggedIds = new ArrayList<>();

	private final FilterChain chain = (request, response) -> this.loggedIds.add(MDC.get("requestId"));

	@Test
	void namesTheAppNodeAndKeepsTheLoadBalancersRequestId() throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/books");
		request.addHeader("X-Request-Id", "lb1:0a1b2c.42");
		MockHttpServletResponse response = new MockHttpServletResponse();
		new TierHeadersFilter(Tier.APP, new NodeProperties("app-1", "v2")).doFilter(request, response, this.chain);
		assertThat(response.getHeader("X-App-Node")).isEqualTo("app-1");
		assertThat(response.getHeader("X-App-Version")).isEqualTo("v2");
		assertThat(response.getHeader("X-Web-Node")).isNull();
		assertThat(response.getHeader("X-Request-Id")).isEqualTo("lb1:0a1b2c.42");
		assertThat(this.loggedIds).containsExactly("lb1:0a1b2c.42");
		assertThat(MDC.get("requestId")).isNull();
	}

	@Test
	void namesTheWebNodeInItsHeaderAndForThePages() throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");
		MockHttpServletResponse response = new MockHttpServletResponse();
		new TierHeadersFilter(Tier.WEB, new NodeProperties("web-1", null)).doFilter(request, response, this.chain);
		assertThat(response.getHeader("X-Web-Node")).isEqualTo("web-1");
		assertThat(response.getHeader("X-Web-Version")).as("a node without a version").isEqualTo("dev");
		assertThat(request.getAttribute("webNode")).isEqualTo("web-1");
		assertThat(response.getHeader("X-Request-Id")).matches("[0-9a-f-]{36}");
	}

	static Stream<String> unacceptableIds() {
		return Stream.of("", "a b", "a\nInjected: 1", "id;drop", "ключ", "x".repeat(129));
	}

	@ParameterizedTest
	@MethodSource("unacceptableIds")
	void replacesAnIdThatCouldForgeOrBreakALogLine(String unacceptable) throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");
		request.addHeader("X-Request-Id", unacceptable);
		MockHttpServletResponse response = new MockHttpServletResponse();
		new TierHeadersFilter(Tier.APP, new NodeProperties("app-1", "v2")).doFilter(request, response, this.chain);
		assertThat(response.getHeader("X-Request-Id")).matches("[0-9a-f-]{36}");
		assertThat(this.loggedIds).containsExactly(response.getHeader("X-Request-Id"));
	}

	@Test
	void theErrorDispatchOfARequestLogsUnderTheSameId() throws Exception {
		TierHeadersFilter filter = new TierHeadersFilter(Tier.WEB, new NodeProperties("web-1", null));
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/broken");
		MockHttpServletResponse response = new MockHttpServletResponse();
		filter.doFilter(request, response, this.chain);
		request.setDispatcherType(DispatcherType.ERROR);
		request.setAttribute(RequestDispatcher.ERROR_REQUEST_URI, "/broken");
		filter.doFilter(request, response, this.chain);
		assertThat(this.loggedIds).hasSize(2).containsOnly(response.getHeader("X-Request-Id"));
		assertThat(TierHeadersFilter.requestId(request)).isEqualTo(response.getHeader("X-Request-Id"));
	}

	@Test
	void aRequestThatNeverPassedTheFilterGetsAnIdToo() {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/%00");
		String id = TierHeadersFilter.requestId(request);
		assertThat(id).matches("[0-9a-f-]{36}");
		assertThat(TierHeadersFilter.requestId(request)).isEqualTo(id);
	}

}
