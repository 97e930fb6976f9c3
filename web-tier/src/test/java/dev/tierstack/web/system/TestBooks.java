package dev.tierstack.web.system;

import java.math.BigDecimal;
import java.util.List;

import dev.tierstack.web.catalog.Book;
import dev.tierstack.web.catalog.BookPage;

/**
 * Books for slice tests.
 */
public final class TestBooks {

	public static final Book HOBBIT = new Book("9780261102217", "The Hobbit", "J. R. R. Tolkien", 1937,
			new BigDecimal("12.50"), 7);

	public static final Book DUNE = new Book("9780441013593", "Dune", "Frank Herbert", 1965, new BigDecimal("9.99"), 0);

	private TestBooks() {
	}

	public static BookPage page(int page, int totalPages) {
		return new BookPage(List.of(HOBBIT, DUNE), page, 20, totalPages * 20L, totalPages);
	}

}
