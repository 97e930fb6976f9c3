package dev.tierstack.app;

import java.math.BigDecimal;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Books and order rows of a test, through the app's own connection (the runtime role).
 * The seed catalog uses 978-1-9 ISBNs; tests use 979 ones, so they never meet.
 */
public final class TestBooks {

	private static final AtomicLong NEXT = new AtomicLong(ThreadLocalRandom.current().nextLong(1_000_000_000L));

	private final JdbcClient jdbc;

	public TestBooks(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	public static String newIsbn() {
		return "979" + String.format("%010d", NEXT.incrementAndGet() % 10_000_000_000L);
	}

	public String insert(String title, String author, String price, int stock) {
		String isbn = newIsbn();
		this.jdbc
			.sql("INSERT INTO book (isbn, title, author, published_year, price, stock) VALUES (?, ?, ?, 2001, ?, ?)")
			.params(isbn, title, author, new BigDecimal(price), stock)
			.update();
		return isbn;
	}

	public int stock(String isbn) {
		return this.jdbc.sql("SELECT stock FROM book WHERE isbn = ?").param(isbn).query(Integer.class).single();
	}

	public long orders() {
		return this.jdbc.sql("SELECT count(*) FROM purchase_order").query(Long.class).single();
	}

	public long orderLines() {
		return this.jdbc.sql("SELECT count(*) FROM order_line").query(Long.class).single();
	}

	public long ordersWithKey(String key) {
		return this.jdbc.sql("SELECT count(*) FROM purchase_order WHERE idempotency_key = ?")
			.param(key)
			.query(Long.class)
			.single();
	}

	public long linesOfBook(String isbn) {
		return this.jdbc.sql(
				"SELECT coalesce(sum(l.quantity), 0) FROM order_line l JOIN book b ON b.id = l.book_id WHERE b.isbn = ?")
			.param(isbn)
			.query(Long.class)
			.single();
	}

}
