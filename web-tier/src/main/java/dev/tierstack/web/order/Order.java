package dev.tierstack.web.order;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * An order as the app tier describes it.
 *
 * @param id the order id
 * @param createdAt when it was placed
 * @param total the sum of the line totals
 * @param lines the ordered books
 */
public record Order(UUID id, OffsetDateTime createdAt, BigDecimal total, List<Line> lines) {

	/**
	 * One ordered book.
	 *
	 * @param isbn the book's ISBN
	 * @param title the book's title
	 * @param quantity copies ordered
	 * @param unitPrice the price of one copy when ordered
	 * @param lineTotal quantity times unit price
	 */
	public record Line(String isbn, String title, int quantity, BigDecimal unitPrice, BigDecimal lineTotal) {

	}

}
