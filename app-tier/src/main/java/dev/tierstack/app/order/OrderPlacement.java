package dev.tierstack.app.order;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.tierstack.app.catalog.Book;
import dev.tierstack.app.catalog.BookRepository;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The transactions of {@link OrderService}, in a bean of their own so that the service
 * can catch what a failed transaction throws after it has been rolled back.
 */
@Component
class OrderPlacement {

	private final BookRepository books;

	private final OrderRepository orders;

	OrderPlacement(BookRepository books, OrderRepository orders) {
		this.books = books;
		this.orders = orders;
	}

	/**
	 * Places an order in one transaction: locks the books, checks and takes the stock,
	 * stores the order with its idempotency key. Any refusal rolls everything back.
	 * @throws org.springframework.dao.DataIntegrityViolationException when another order
	 * with the same idempotency key was stored first
	 */
	@Transactional
	OrderView place(String idempotencyKey, String requestHash, OrderRequest request) {
		Set<String> isbns = request.lines()
			.stream()
			.map(OrderRequest.Line::isbn)
			.collect(Collectors.toCollection(LinkedHashSet::new));
		Map<String, Book> locked = this.books.lockAllByIsbn(isbns)
			.stream()
			.collect(Collectors.toMap(Book::getIsbn, Function.identity()));
		List<String> unknown = isbns.stream().filter((isbn) -> !locked.containsKey(isbn)).toList();
		if (!unknown.isEmpty()) {
			throw new OrderExceptions.UnknownBooks(unknown);
		}
		List<OrderExceptions.Shortage> shortages = new ArrayList<>();
		for (OrderRequest.Line line : request.lines()) {
			Book book = locked.get(line.isbn());
			if (book.getStock() < line.quantity()) {
				shortages.add(new OrderExceptions.Shortage(line.isbn(), line.quantity(), book.getStock()));
			}
		}
		if (!shortages.isEmpty()) {
			throw new OrderExceptions.InsufficientStock(shortages);
		}
		// PostgreSQL keeps microseconds: a replay read back from the table must equal
		// this.
		Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
		PurchaseOrder order = new PurchaseOrder(UUID.randomUUID(), idempotencyKey, requestHash, now);
		for (OrderRequest.Line line : request.lines()) {
			Book book = locked.get(line.isbn());
			book.removeStock(line.quantity());
			order.addLine(book, line.quantity());
		}
		// Flush now: a duplicate key must fail inside this transaction, as a translated
		// exception.
		return OrderView.of(this.orders.saveAndFlush(order));
	}

	// Not read-only: these reads must see the primary, never a lagging replica (a retry
	// right after its first attempt, or a lookup right after the order was placed).
	@Transactional
	Optional<StoredOrder> findByIdempotencyKey(String idempotencyKey) {
		return this.orders.findByIdempotencyKey(idempotencyKey)
			.map((order) -> new StoredOrder(order.getRequestHash(), OrderView.of(order)));
	}

	@Transactional
	Optional<OrderView> find(UUID id) {
		return this.orders.findById(id).map(OrderView::of);
	}

	record StoredOrder(String requestHash, OrderView order) {
	}

}
