package dev.tierstack.app.catalog;

import dev.tierstack.app.system.DatabaseUnavailable;
import dev.tierstack.app.system.NotFoundException;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.resilience.annotation.Retryable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads the catalog. Read-only transactions: no dirty checking, and a replica may serve
 * them. A read that meets a broken connection (its database member died or restarted) is
 * tried again in a new transaction, on a connection the pool has checked or opened anew,
 * which the driver opens to whichever member is up: a failover costs a reader nothing.
 */
@Service
@Transactional(readOnly = true)
@Retryable(predicate = DatabaseUnavailable.class, maxRetries = 2, delay = 50, jitter = 25)
public class CatalogService {

	// Title alone is not unique; the ISBN makes the order total, so pages never overlap.
	private static final Sort ORDER = Sort.by("title", "isbn");

	private final BookRepository books;

	CatalogService(BookRepository books) {
		this.books = books;
	}

	public BookPage search(String query, int page, int size) {
		PageRequest pageRequest = PageRequest.of(page, size, ORDER);
		String q = (query != null) ? query.strip() : "";
		Page<Book> result = q.isEmpty() ? this.books.findAll(pageRequest)
				: this.books.search(containsPattern(q), pageRequest);
		return new BookPage(result.map(BookView::of).getContent(), page, size, result.getTotalElements(),
				result.getTotalPages());
	}

	public BookView get(String isbn) {
		return this.books.findByIsbn(isbn)
			.map(BookView::of)
			.orElseThrow(() -> new NotFoundException("No book with ISBN " + isbn + "."));
	}

	/**
	 * A LIKE pattern matching {@code text} anywhere, with the user's %, _ and escape
	 * characters taken literally.
	 */
	static String containsPattern(String text) {
		StringBuilder pattern = new StringBuilder(text.length() + 8).append('%');
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '%' || c == '_' || c == BookRepository.LIKE_ESCAPE) {
				pattern.append(BookRepository.LIKE_ESCAPE);
			}
			pattern.append(c);
		}
		return pattern.append('%').toString();
	}

}
