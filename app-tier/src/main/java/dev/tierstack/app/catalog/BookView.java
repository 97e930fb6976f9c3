package dev.tierstack.app.catalog;

import java.math.BigDecimal;

/**
 * A book as the API shows it.
 */
public record BookView(String isbn, String title, String author, int publishedYear, BigDecimal price, int stock) {

	static BookView of(Book book) {
		return new BookView(book.getIsbn(), book.getTitle(), book.getAuthor(), book.getPublishedYear(), book.getPrice(),
				book.getStock());
	}

}
