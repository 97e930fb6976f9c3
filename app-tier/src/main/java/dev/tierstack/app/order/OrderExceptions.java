package dev.tierstack.app.order;

import java.util.List;
import java.util.stream.Collectors;

import dev.tierstack.app.system.ApiException;
import dev.tierstack.app.system.ProblemType;

import org.springframework.http.HttpStatus;

/**
 * The ways an order can be refused.
 */
final class OrderExceptions {

	private OrderExceptions() {
	}

	static final class InsufficientStock extends ApiException {

		InsufficientStock(List<Shortage> shortages) {
			super(HttpStatus.CONFLICT, ProblemType.INSUFFICIENT_STOCK, "Insufficient stock",
					shortages.stream()
						.map((shortage) -> "ISBN " + shortage.isbn() + ": " + shortage.requested() + " requested, "
								+ shortage.available() + " in stock")
						.collect(Collectors.joining("; ", "Not enough copies. ", ".")));
			setProperty("shortages", shortages);
		}

	}

	record Shortage(String isbn, int requested, int available) {
	}

	static final class UnknownBooks extends ApiException {

		UnknownBooks(List<String> isbns) {
			super(HttpStatus.UNPROCESSABLE_CONTENT, ProblemType.VALIDATION, "Unknown book",
					"No book with ISBN " + String.join(", ", isbns) + ".");
			setProperty("unknownIsbns", isbns);
		}

	}

	static final class DuplicateBooks extends ApiException {

		DuplicateBooks(List<String> isbns) {
			super(HttpStatus.BAD_REQUEST, ProblemType.VALIDATION, "Invalid request",
					"Each book may appear in one line only; repeated: " + String.join(", ", isbns) + ".");
		}

	}

	static final class IdempotencyKeyReuse extends ApiException {

		IdempotencyKeyReuse() {
			super(HttpStatus.UNPROCESSABLE_CONTENT, ProblemType.IDEMPOTENCY_KEY_REUSE, "Idempotency key reused",
					"This Idempotency-Key was already used for a different order. Use a new key for a new order.");
		}

	}

}
