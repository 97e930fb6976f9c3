package dev.tierstack.web.catalog;

import java.math.BigDecimal;

/**
 * A book as the app tier describes it.
 *
 * @param isbn the 13-digit ISBN
 * @param title the title
 * @param author the author
 * @param publishedYear the year of publication
 * @param price the price in euros
 * @param stock copies in stock
 */
public record Book(String isbn, String title, String author, int publishedYear, BigDecimal price, int stock) {

	public boolean inStock() {
		return this.stock > 0;
	}

}
