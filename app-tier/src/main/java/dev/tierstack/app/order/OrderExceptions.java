package dev.tierstack.app.order;

import java.util.List;
import java.util.stream.Collectors;

import dev.tierstack.support.ProblemType;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * The ways an order can be refused, each a problem with its own type.
 */
final class OrderExceptions {

	private OrderExceptions() {
	}

	static final class InsufficientStock extends ErrorResponseException {

		InsufficientStock(List<Shortage> shortages) {
			super(HttpStatus.CONFLICT,
					ProblemType.INSUFFICIENT_STOCK.problem(HttpStatus.CONFLICT,
							shortages.stream()
								.map((shortage) -> "ISBN " + shortage.isbn() + ": " + shortage.requested()
										+ " requested, " + shortage.available() + " in stock")
								.collect(Collectors.joining("; ", "Not enough copies. ", "."))),
					null);
			getBody().setProperty("shortages", shortages);
		}

	}

	record Shortage(String isbn, int requested, int available) {
	}

	static final class UnknownBooks extends ErrorResponseException {

		UnknownBooks(List<String> isbns) {
			super(HttpStatus.UNPROCESSABLE_CONTENT, ProblemType.VALIDATION.problem(HttpStatus.UNPROCESSABLE_CONTENT,
					"No book with ISBN " + String.join(", ", isbns) + "."), null);
			getBody().setTitle("Unknown book");
			getBody().setProperty("unknownIsbns", isbns);
		}

	}

	static final class DuplicateBooks extends ErrorResponseException {

		DuplicateBooks(List<String> isbns) {
			super(HttpStatus.BAD_REQUEST,
					ProblemType.VALIDATION.problem(HttpStatus.BAD_REQUEST,
							"Each book may appear in one line only; repeated: " + String.join(", ", isbns) + "."),
					null);
		}

	}

	static final class IdempotencyKeyReuse extends ErrorResponseException {

		IdempotencyKeyReuse() {
			super(HttpStatus.UNPROCESSABLE_CONTENT, ProblemType.IDEMPOTENCY_KEY_REUSE.problem(
					HttpStatus.UNPROCESSABLE_CONTENT,
					"This Idempotency-Key was already used for a different order. Use a new key for a new order."),
					null);
		}

	}

}
