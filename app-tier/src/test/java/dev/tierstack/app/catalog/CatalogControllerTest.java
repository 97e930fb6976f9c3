package dev.tierstack.app.catalog;

import java.math.BigDecimal;
import java.util.List;

import dev.tierstack.app.system.NotFoundException;
import dev.tierstack.app.system.WebTestConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.transaction.CannotCreateTransactionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.matchesPattern;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ExtendWith(OutputCaptureExtension.class)
@WebMvcTest(controllers = CatalogController.class, properties = "tierstack.node.name=test-node")
@Import(WebTestConfiguration.class)
class CatalogControllerTest {

	private static final BookView BOOK = new BookView("9781900000017", "Dune <b>&</b>", "Frank Herbert", 1965,
			new BigDecimal("9.99"), 3);

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private CatalogService catalog;

	@Test
	void listsAPageInTheContractShape() throws Exception {
		given(this.catalog.search("dune", 1, 5)).willReturn(new BookPage(List.of(BOOK), 1, 5, 6, 2));
		this.mvc.perform(get("/api/books").param("q", "dune").param("page", "1").param("size", "5"))
			.andExpect(status().isOk())
			.andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
			.andExpect(jsonPath("$.content[0].isbn").value("9781900000017"))
			.andExpect(jsonPath("$.content[0].title").value("Dune <b>&</b>"))
			.andExpect(jsonPath("$.content[0].publishedYear").value(1965))
			.andExpect(jsonPath("$.content[0].price").value(9.99))
			.andExpect(jsonPath("$.content[0].stock").value(3))
			.andExpect(jsonPath("$.content[0].id").doesNotExist())
			.andExpect(jsonPath("$.page").value(1))
			.andExpect(jsonPath("$.size").value(5))
			.andExpect(jsonPath("$.totalElements").value(6))
			.andExpect(jsonPath("$.totalPages").value(2))
			.andExpect(header().string("X-App-Node", "test-node"))
			.andExpect(header().exists("X-Request-Id"));
	}

	@Test
	void defaultsToTheFirstPageOfTwenty() throws Exception {
		given(this.catalog.search("", 0, 20)).willReturn(new BookPage(List.of(), 0, 20, 0, 0));
		this.mvc.perform(get("/api/books")).andExpect(status().isOk()).andExpect(jsonPath("$.size").value(20));
	}

	@Test
	void echoesTheRequestId() throws Exception {
		given(this.catalog.get("9781900000017")).willReturn(BOOK);
		this.mvc.perform(get("/api/books/9781900000017").header("X-Request-Id", "abc-123"))
			.andExpect(status().isOk())
			.andExpect(header().string("X-Request-Id", "abc-123"))
			.andExpect(jsonPath("$.author").value("Frank Herbert"));
	}

	@Test
	void tellsTheTimeItTookInServerTiming() throws Exception {
		given(this.catalog.get("9781900000017")).willReturn(BOOK);
		this.mvc.perform(get("/api/books/9781900000017"))
			.andExpect(status().isOk())
			.andExpect(header().string("Server-Timing", matchesPattern("app;dur=[0-9]+\\.[0-9]")));
	}

	@Test
	void replacesARequestIdThatCouldForgeLogLines() throws Exception {
		given(this.catalog.get("9781900000017")).willReturn(BOOK);
		this.mvc.perform(get("/api/books/9781900000017").header("X-Request-Id", "a\nb c"))
			.andExpect(status().isOk())
			.andExpect(header().string("X-Request-Id", not(containsString(" "))));
	}

	@Test
	void rejectsPageSizesOutsideOneToHundred() throws Exception {
		for (String size : List.of("0", "101", "-1")) {
			this.mvc.perform(get("/api/books").param("size", size))
				.andExpect(status().isBadRequest())
				.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
				.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"))
				.andExpect(jsonPath("$.status").value(400))
				.andExpect(jsonPath("$.errors[0].field").value("size"));
		}
		verifyNoInteractions(this.catalog);
	}

	@Test
	void rejectsNegativeHugeAndNonNumericPages() throws Exception {
		for (String page : List.of("-1", "99999999999", "abc", "1e3")) {
			this.mvc.perform(get("/api/books").param("page", page))
				.andExpect(status().isBadRequest())
				.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"));
		}
		verifyNoInteractions(this.catalog);
	}

	@Test
	void rejectsQueriesLongerThanHundredCharacters() throws Exception {
		this.mvc.perform(get("/api/books").param("q", "x".repeat(101)))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("q"));
	}

	@Test
	void rejectsControlCharactersInTheQuery() throws Exception {
		this.mvc.perform(get("/api/books").param("q", "abc\u0000"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("q"));
		verifyNoInteractions(this.catalog);
	}

	@Test
	void rejectsAnIsbnThatIsNotThirteenDigits() throws Exception {
		this.mvc.perform(get("/api/books/97819000000x1"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"));
		verifyNoInteractions(this.catalog);
	}

	@Test
	void unknownBookIsANotFoundProblem() throws Exception {
		given(this.catalog.get(anyString())).willThrow(new NotFoundException("No book with ISBN 9781900000099."));
		this.mvc.perform(get("/api/books/9781900000099"))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:not-found"))
			.andExpect(jsonPath("$.detail").value("No book with ISBN 9781900000099."))
			.andExpect(header().string("X-App-Node", "test-node"));
	}

	@Test
	void unknownPathIsANotFoundProblem() throws Exception {
		this.mvc.perform(get("/api/nothing-here"))
			.andExpect(status().isNotFound())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:not-found"));
	}

	@Test
	void wrongMethodIsAMethodNotAllowedProblem() throws Exception {
		this.mvc.perform(post("/api/books").contentType(MediaType.APPLICATION_JSON).content("{}"))
			.andExpect(status().isMethodNotAllowed())
			.andExpect(header().exists("Allow"))
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:method-not-allowed"));
	}

	@Test
	void databaseOutageIsAServiceUnavailableProblem() throws Exception {
		given(this.catalog.search(anyString(), anyInt(), anyInt()))
			.willThrow(new CannotCreateTransactionException("Connection refused: db:5432"));
		this.mvc.perform(get("/api/books"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().exists("Retry-After"))
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:service-unavailable"))
			.andExpect(content().string(not(containsString("5432"))));
	}

	@Test
	void unexpectedFailureIsA500ThatRevealsNothingAndIsLoggedWithTheRequestId(CapturedOutput output) throws Exception {
		given(this.catalog.search(anyString(), anyInt(), anyInt()))
			.willThrow(new IllegalStateException("select * from bookshop.book failed"));
		this.mvc.perform(get("/api/books").header("X-Request-Id", "trace-me-42"))
			.andExpect(status().isInternalServerError())
			.andExpect(jsonPath("$.detail").value("An unexpected error occurred."))
			.andExpect(content().string(not(containsString("select"))))
			.andExpect(content().string(not(containsString("IllegalStateException"))));
		assertThat(output).contains("[trace-me-42]").contains("IllegalStateException");
	}

}
