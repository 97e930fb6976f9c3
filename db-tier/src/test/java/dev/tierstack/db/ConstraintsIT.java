package dev.tierstack.db;

import java.sql.Connection;
import java.sql.SQLException;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * The schema refuses bad rows whatever the application does. Every statement runs as the
 * runtime role in a transaction that is rolled back.
 */
@EnabledIfDockerAvailable
class ConstraintsIT {

	private static final String CHECK_VIOLATION = "23514";

	private static final String UNIQUE_VIOLATION = "23505";

	private static final String FOREIGN_KEY_VIOLATION = "23503";

	private static final String ORDER = """
			INSERT INTO purchase_order (id, idempotency_key, request_hash, total)
			VALUES ('00000000-0000-0000-0000-000000000001', 'key-1', repeat('a', 64), 33.99)""";

	@Test
	void acceptsAValidBookAndOrder() {
		assertThatNoException().isThrownBy(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(),
				book("9780000000002", 5), ORDER, line("(SELECT id FROM book WHERE isbn = '9781900000017')", 1)));
	}

	@Test
	void rejectsNegativeStock() {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), book("9780000000002", -1)),
				CHECK_VIOLATION, "book_stock_ck");
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(),
				"UPDATE book SET stock = stock - 1 WHERE stock = 0"), CHECK_VIOLATION, "book_stock_ck");
	}

	@Test
	void rejectsNegativePrice() {
		assertViolation(
				() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(),
						"UPDATE book SET price = -0.01 WHERE isbn = '9781900000017'"),
				CHECK_VIOLATION, "book_price_ck");
	}

	@Test
	void rejectsDuplicateIsbn() {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), book("9781900000017", 1)),
				UNIQUE_VIOLATION, "book_isbn_uk");
	}

	@ParameterizedTest
	@ValueSource(strings = { "978190000001", "9771900000017", "1234567890123", "978190000001X", "978-190000001" })
	void rejectsMalformedIsbn(String isbn) {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), book(isbn, 1)), CHECK_VIOLATION,
				"book_isbn_format_ck");
	}

	/**
	 * Well-formed but mistyped: one digit wrong, two neighbours swapped, a wrong check
	 * digit.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "9781900000018", "9781900000117", "9781900000071", "9780000000000" })
	void rejectsIsbnWithWrongCheckDigit(String isbn) {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), book(isbn, 1)), CHECK_VIOLATION,
				"book_isbn_check_digit_ck");
	}

	@Test
	void everySeededIsbnHasItsCheckDigit() throws SQLException {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(Sql.single(app,
					"""
							SELECT count(*) FROM book
							WHERE (SELECT sum(substr(isbn, i, 1)::int * (2 * (1 - i % 2) + 1)) FROM generate_series(1, 13) AS i) % 10 <> 0"""))
				.isEqualTo("0");
		}
	}

	@Test
	void rejectsBlankTitle() {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(),
				"UPDATE book SET title = '  ' WHERE isbn = '9781900000017'"), CHECK_VIOLATION, "book_title_ck");
	}

	@Test
	void rejectsDuplicateIdempotencyKey() {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), ORDER, """
				INSERT INTO purchase_order (id, idempotency_key, request_hash, total)
				VALUES ('00000000-0000-0000-0000-000000000002', 'key-1', repeat('b', 64), 1.00)"""), UNIQUE_VIOLATION,
				"purchase_order_idempotency_key_uk");
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, -1, 1001 })
	void rejectsOrderLineQuantityOutsideOneToThousand(int quantity) {
		assertViolation(
				() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), ORDER,
						line("(SELECT id FROM book WHERE isbn = '9781900000017')", quantity)),
				CHECK_VIOLATION, "order_line_quantity_ck");
	}

	@Test
	void rejectsOrderLineForAnUnknownBook() {
		assertViolation(() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(), ORDER, line("-1", 1)),
				FOREIGN_KEY_VIOLATION, "order_line_book_id_fkey");
	}

	@Test
	void rejectsOrderLineWithoutItsOrder() {
		assertViolation(
				() -> Sql.inRolledBackTransaction(MigratedDatabase.owner(),
						line("(SELECT id FROM book WHERE isbn = '9781900000017')", 1)),
				FOREIGN_KEY_VIOLATION, "order_line_order_id_fkey");
	}

	private static String book(String isbn, int stock) {
		return """
				INSERT INTO book (isbn, title, author, published_year, price, stock)
				VALUES ('%s', 'A Test Title', 'A Test Author', 2024, 9.99, %d)""".formatted(isbn, stock);
	}

	private static String line(String bookId, int quantity) {
		return """
				INSERT INTO order_line (order_id, line_no, book_id, quantity, unit_price)
				VALUES ('00000000-0000-0000-0000-000000000001', 1, %s, %d, 33.99)""".formatted(bookId, quantity);
	}

	private static void assertViolation(ThrowingCallable statements, String sqlState, String constraint) {
		assertThatExceptionOfType(PSQLException.class).isThrownBy(statements).satisfies((ex) -> {
			assertThat(ex.getSQLState()).isEqualTo(sqlState);
			assertThat(ex.getServerErrorMessage().getConstraint()).isEqualTo(constraint);
		});
	}

}
