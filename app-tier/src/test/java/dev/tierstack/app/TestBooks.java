package dev.tierstack.app;

import java.math.BigDecimal;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.tierstack.db.testsupport.DbTierContainer;
import org.postgresql.Driver;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * Books and order rows of a test. Books are added as the schema owner (the runtime role
 * may not add books) and committed at once; everything else is read through the app's own
 * connection (the runtime role), so a test's transaction sees its own changes. The seed
 * catalog uses 978-1-9 ISBNs; tests use 979 ones, so they never meet.
 */
public final class TestBooks {

	private static final AtomicLong NEXT = new AtomicLong(ThreadLocalRandom.current().nextLong(1_000_000_000L));

	private static final JdbcClient owner = JdbcClient.create(new SimpleDriverDataSource(new Driver(),
			TestDatabase.container().jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD));

	private final JdbcClient jdbc;

	public TestBooks(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * An ISBN-13 no test has used yet, with its check digit (the schema checks it).
	 * @return thirteen digits
	 */
	public static String newIsbn() {
		String first12 = "979" + String.format("%09d", NEXT.incrementAndGet() % 1_000_000_000L);
		int sum = 0;
		for (int i = 0; i < 12; i++) {
			sum += (first12.charAt(i) - '0') * ((i % 2 == 0) ? 1 : 3);
		}
		return first12 + (10 - sum % 10) % 10;
	}

	public String insert(String title, String author, String price, int stock) {
		String isbn = newIsbn();
		owner.sql(
				"INSERT INTO bookshop.book (isbn, title, author, published_year, price, stock) VALUES (?, ?, ?, 2001, ?, ?)")
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
