package dev.tierstack.web.catalog;

import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/**
 * The catalog part of the app tier's API.
 */
@Component
public class BookCatalog {

	static final int PAGE_SIZE = 20;

	private final RestClient appTier;

	BookCatalog(RestClient appTierRestClient) {
		this.appTier = appTierRestClient;
	}

	public BookPage search(String query, int page) {
		return this.appTier.get()
			.uri("/api/books?q={q}&page={page}&size={size}", query, page, PAGE_SIZE)
			.retrieve()
			.body(BookPage.class);
	}

	public Optional<Book> find(String isbn) {
		return this.appTier.get().uri("/api/books/{isbn}", isbn).exchange((request, response) -> {
			if (response.getStatusCode().isSameCodeAs(HttpStatus.NOT_FOUND)) {
				return Optional.empty();
			}
			if (response.getStatusCode().isError()) {
				throw response.createException();
			}
			return Optional.ofNullable(response.bodyTo(Book.class));
		});
	}

}
