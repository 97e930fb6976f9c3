package dev.tierstack.web.system;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.MediaType;

import static org.hamcrest.Matchers.matchesPattern;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

class SecurityHeadersTests extends PageSliceTest {

	@BeforeEach
	void catalog() {
		given(this.catalog.search(anyString(), anyInt())).willReturn(TestBooks.page(0, 1));
	}

	@Test
	void pagesCarryTheBrowserSecurityHeaders() throws Exception {
		this.mvc.perform(get("/"))
			.andExpect(status().isOk())
			.andExpect(header().string("Content-Security-Policy",
					"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
							+ "form-action 'self'; frame-ancestors 'none'"))
			.andExpect(header().string("X-Content-Type-Options", "nosniff"))
			.andExpect(header().string("Referrer-Policy", "strict-origin-when-cross-origin"))
			.andExpect(header().string("X-Frame-Options", "DENY"));
	}

	@Test
	void everyResponseSaysWhichWebNodeServedItAndCarriesTheRequestId() throws Exception {
		this.mvc.perform(get("/").header("X-Request-Id", "from-haproxy-1"))
			.andExpect(header().string("X-Web-Node", "web-slice"))
			.andExpect(header().string("X-Request-Id", "from-haproxy-1"));
		this.mvc.perform(get("/css/site.css"))
			.andExpect(header().string("X-Web-Node", "web-slice"))
			.andExpect(header().string("X-Request-Id", matchesPattern("[0-9a-f-]{36}")));
	}

	@Test
	void anImplausibleRequestIdIsReplaced() throws Exception {
		this.mvc.perform(get("/").header("X-Request-Id", "x".repeat(200)))
			.andExpect(header().string("X-Request-Id", matchesPattern("[0-9a-f-]{36}")));
		this.mvc.perform(get("/").header("X-Request-Id", "a b\r\nInjected: 1"))
			.andExpect(header().string("X-Request-Id", matchesPattern("[0-9a-f-]{36}")));
	}

	@Test
	void aFormPostedWithoutCsrfTokenIsRejected() throws Exception {
		this.mvc
			.perform(post("/orders").contentType(MediaType.APPLICATION_FORM_URLENCODED)
				.param("isbn", TestBooks.HOBBIT.isbn())
				.param("quantity", "1")
				.param("idempotencyKey", "k1"))
			.andExpect(status().isForbidden());
		then(this.orders).shouldHaveNoInteractions();
	}

}
