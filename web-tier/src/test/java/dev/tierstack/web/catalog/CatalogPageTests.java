package dev.tierstack.web.catalog;

import java.util.Optional;

import org.springframework.web.client.ResourceAccessException;
import dev.tierstack.web.system.PageSliceTest;
import dev.tierstack.web.system.TestBooks;
import org.junit.jupiter.api.Test;

import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

class CatalogPageTests extends PageSliceTest {

	@Test
	void catalogListsBooksWithLinksToTheirPages() throws Exception {
		given(this.catalog.search("", 0)).willReturn(TestBooks.page(0, 3));
		this.mvc.perform(get("/"))
			.andExpect(status().isOk())
			.andExpect(content().string(allOf(containsString("<a href=\"/books/9780261102217\">The Hobbit</a>"),
					containsString("J. R. R. Tolkien"), containsString("€ 12.50"),
					containsString("<a href=\"/books/9780441013593\">Dune</a>"),
					containsString("page <span>1</span> of <span>3</span>"),
					containsString("href=\"/?q=&amp;page=1\""))));
	}

	@Test
	void catalogPageMayBeKeptForASecondAndSetsNoCookie() throws Exception {
		given(this.catalog.search("", 0)).willReturn(TestBooks.page(0, 3));
		this.mvc.perform(get("/"))
			.andExpect(status().isOk())
			.andExpect(header().string("Cache-Control", "max-age=1, public"))
			.andExpect(header().doesNotExist("Set-Cookie"));
	}

	@Test
	void bookPageIsNeverKept() throws Exception {
		given(this.catalog.find("9780261102217")).willReturn(Optional.of(TestBooks.HOBBIT));
		this.mvc.perform(get("/books/9780261102217"))
			.andExpect(status().isOk())
			.andExpect(header().string("Cache-Control", containsString("no-store")));
	}

	@Test
	void searchesAndPagesThroughTheAppTier() throws Exception {
		given(this.catalog.search("tolkien", 1)).willReturn(TestBooks.page(1, 3));
		this.mvc.perform(get("/").param("q", "  tolkien ").param("page", "1"))
			.andExpect(status().isOk())
			.andExpect(content()
				.string(allOf(containsString("value=\"tolkien\""), containsString("href=\"/?q=tolkien&amp;page=0\""),
						containsString("href=\"/?q=tolkien&amp;page=2\""))));
		then(this.catalog).should().search("tolkien", 1);
	}

	@Test
	void searchWithoutResultsSaysSo() throws Exception {
		given(this.catalog.search("zzz", 0)).willReturn(new BookPage(java.util.List.of(), 0, 20, 0, 0));
		this.mvc.perform(get("/").param("q", "zzz"))
			.andExpect(status().isOk())
			.andExpect(content().string(containsString("No books match")));
	}

	@Test
	void bookPageHasAnOrderFormWithCsrfTokenAndIdempotencyKey() throws Exception {
		given(this.catalog.find("9780261102217")).willReturn(Optional.of(TestBooks.HOBBIT));
		this.mvc.perform(get("/books/9780261102217"))
			.andExpect(status().isOk())
			.andExpect(content().string(allOf(containsString("<h1>The Hobbit</h1>"),
					containsString("action=\"/orders\""), containsString("name=\"_csrf\""),
					matchesPattern("(?s).*name=\"idempotencyKey\" value=\"[0-9a-f-]{36}\".*"))));
	}

	@Test
	void soldOutBookCannotBeOrdered() throws Exception {
		given(this.catalog.find("9780441013593")).willReturn(Optional.of(TestBooks.DUNE));
		this.mvc.perform(get("/books/9780441013593"))
			.andExpect(content().string(allOf(containsString("disabled"), containsString("out of stock"))));
	}

	@Test
	void unknownBookIsNotFound() throws Exception {
		given(this.catalog.find("9780000000000")).willReturn(Optional.empty());
		this.mvc.perform(get("/books/9780000000000")).andExpect(status().isNotFound());
	}

	@Test
	void somethingThatIsNotAnIsbnIsNotFoundWithoutAskingTheAppTier() throws Exception {
		this.mvc.perform(get("/books/abc")).andExpect(status().isNotFound());
		then(this.catalog).shouldHaveNoInteractions();
	}

	@Test
	void appTierDownGivesA503PageNotAStackTrace() throws Exception {
		given(this.catalog.search(anyString(), anyInt())).willThrow(new ResourceAccessException("down"));
		this.mvc.perform(get("/"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().string("Retry-After", "5"))
			.andExpect(header().string("Cache-Control", containsString("no-store")))
			.andExpect(content()
				.string(allOf(containsString("temporarily unavailable"), not(containsString("Exception")))));
	}

	@Test
	void footerNamesTheWebNode() throws Exception {
		given(this.catalog.search("", 0)).willReturn(TestBooks.page(0, 1));
		this.mvc.perform(get("/")).andExpect(content().string(containsString("web-slice")));
	}

}
