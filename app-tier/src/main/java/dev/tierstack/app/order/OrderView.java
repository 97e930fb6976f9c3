package dev.tierstack.app.order;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * An order as the API shows it. A replay is built from the stored order, so it is equal
 * to the first response.
 */
public record OrderView(UUID id, Instant createdAt, BigDecimal total, List<Line> lines) {

	static OrderView of(PurchaseOrder order) {
		List<Line> lines = order.getLines()
			.stream()
			.map((line) -> new Line(line.getBook().getIsbn(), line.getBook().getTitle(), line.getQuantity(),
					line.getUnitPrice(), line.lineTotal()))
			.toList();
		return new OrderView(order.getId(), order.getCreatedAt(), order.getTotal(), lines);
	}

	/**
	 * One line of an order.
	 *
	 * @param isbn the book
	 * @param title the book's title
	 * @param quantity copies ordered
	 * @param unitPrice the price of one copy when the order was placed
	 * @param lineTotal quantity times unit price
	 */
	public record Line(String isbn, String title, int quantity, BigDecimal unitPrice, BigDecimal lineTotal) {

	}

}
