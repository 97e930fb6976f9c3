package dev.tierstack.app.order;

import java.math.BigDecimal;
import java.util.List;

import dev.tierstack.app.JpaIntegrationTest;
import dev.tierstack.app.TestBooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The order transaction and its mapping against the real schema (ddl-auto=validate passes
 * when this context starts). Each test is rolled back.
 */
@JpaIntegrationTest
class OrderPlacementIT {

	@Autowired
	private OrderService orders;

	@Autowired
	private JdbcClient jdbc;

	private TestBooks books;

	@BeforeEach
	void setUp() {
		this.books = new TestBooks(this.jdbc);
	}

	private static OrderRequest request(Object... isbnAndQuantity) {
		List<OrderRequest.Line> lines = new java.util.ArrayList<>();
		for (int i = 0; i < isbnAndQuantity.length; i += 2) {
			lines.add(new OrderRequest.Line((String) isbnAndQuantity[i], (Integer) isbnAndQuantity[i + 1]));
		}
		return new OrderRequest(lines);
	}

	@Test
	void storesTheOrderAndTakesTheStock() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String emma = this.books.insert("Emma", "Jane Austen", "4.50", 1);
		PlacedOrder placed = this.orders.place("jpa-1", request(dune, 2, emma, 1));

		assertThat(placed.replayed()).isFalse();
		OrderView order = placed.order();
		assertThat(order.total()).isEqualByComparingTo("24.48");
		assertThat(order.lines()).extracting(OrderView.Line::isbn).containsExactly(dune, emma);
		assertThat(order.lines().get(0).lineTotal()).isEqualByComparingTo("19.98");
		assertThat(this.books.stock(dune)).isEqualTo(3);
		assertThat(this.books.stock(emma)).isZero();
		assertThat(this.jdbc.sql("""
				SELECT l.line_no, b.isbn, l.quantity, l.unit_price FROM order_line l JOIN book b ON b.id = l.book_id
				WHERE l.order_id = ? ORDER BY l.line_no""").param(order.id()).query().listOfRows())
			.extracting((row) -> List.of(((Number) row.get("line_no")).intValue(), row.get("isbn"), row.get("quantity"),
					((BigDecimal) row.get("unit_price")).toPlainString()))
			.containsExactly(List.of(1, dune, 2, "9.99"), List.of(2, emma, 1, "4.50"));
		assertThat(this.jdbc.sql("SELECT idempotency_key, request_hash, total FROM purchase_order WHERE id = ?")
			.param(order.id())
			.query()
			.singleRow()).containsEntry("idempotency_key", "jpa-1")
			.containsEntry("request_hash", RequestHash.of(request(dune, 2, emma, 1)))
			.containsEntry("total", new BigDecimal("24.48"));
	}

	@Test
	void readsBackWhatItStored() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		OrderView placed = this.orders.place("jpa-2", request(dune, 2)).order();
		assertThat(this.orders.get(placed.id())).isEqualTo(placed);
	}

	@Test
	void sameKeyAndRequestReplaysTheStoredOrder() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		OrderView first = this.orders.place("jpa-3", request(dune, 2)).order();
		PlacedOrder again = this.orders.place("jpa-3", request(dune, 2));
		assertThat(again.replayed()).isTrue();
		assertThat(again.order()).isEqualTo(first);
		assertThat(this.books.stock(dune)).isEqualTo(3);
		assertThat(this.books.ordersWithKey("jpa-3")).isOne();
	}

	@Test
	void sameKeyWithAnotherRequestIsRefused() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		this.orders.place("jpa-4", request(dune, 2));
		assertThatExceptionOfType(OrderExceptions.IdempotencyKeyReuse.class)
			.isThrownBy(() -> this.orders.place("jpa-4", request(dune, 1)));
		assertThat(this.books.stock(dune)).isEqualTo(3);
	}

	@Test
	void shortStockChangesNothing() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String emma = this.books.insert("Emma", "Jane Austen", "4.50", 1);
		long before = this.books.orders();
		assertThatExceptionOfType(OrderExceptions.InsufficientStock.class)
			.isThrownBy(() -> this.orders.place("jpa-5", request(dune, 2, emma, 2)))
			.withMessageContaining(emma)
			.withMessageContaining("2 requested, 1 in stock");
		assertThat(this.books.stock(dune)).isEqualTo(5);
		assertThat(this.books.stock(emma)).isEqualTo(1);
		assertThat(this.books.orders()).isEqualTo(before);
	}

	@Test
	void unknownBooksAreRefused() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String unknown = TestBooks.newIsbn();
		assertThatExceptionOfType(OrderExceptions.UnknownBooks.class)
			.isThrownBy(() -> this.orders.place("jpa-6", request(dune, 1, unknown, 1)))
			.withMessageContaining(unknown);
		assertThat(this.books.stock(dune)).isEqualTo(5);
	}

	@Test
	void duplicateBooksAreRefused() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		assertThatExceptionOfType(OrderExceptions.DuplicateBooks.class)
			.isThrownBy(() -> this.orders.place("jpa-7", request(dune, 1, dune, 1)));
		assertThat(this.books.ordersWithKey("jpa-7")).isZero();
	}

}
