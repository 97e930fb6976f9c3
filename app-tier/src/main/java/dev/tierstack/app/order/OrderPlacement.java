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
 * The transactions of {@link OrderService}.
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
	 * Places an order in one transaction: takes the idempotency key (a request with the
	 * same key waits here until this one ends), answers with the order already stored
	 * under the key if there is one, else locks the books, checks and takes the stock and
	 * stores the order with its key. Any refusal rolls everything back.
	 * <p>
	 * The key is taken first: a retry that races its original would otherwise wait for
	 * the books' locks, find the stock taken by the original, and be refused although its
	 * order exists.
	 */
	@Transactional
	PlacedOrder place(String idempotencyKey, String requestHash, OrderRequest request) {
		this.orders.lockIdempotencyKey(idempotencyKey);
		Optional<PurchaseOrder> stored = this.orders.findByIdempotencyKey(idempotencyKey);
		if (stored.isPresent()) {
			if (!stored.get().getRequestHash().equals(requestHash)) {
				throw new OrderExceptions.IdempotencyKeyReuse();
			}
			return new PlacedOrder(OrderView.of(stored.get()), true);
		}
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
		// Flush now: a constraint the database checks fails inside this transaction, as a
		// translated exception.
		return new PlacedOrder(OrderView.of(this.orders.saveAndFlush(order)), false);
	}

	// Not read-only: a lookup right after the order was placed must see the primary, not
	// a lagging replica.
	@Transactional
	Optional<OrderView> find(UUID id) {
		return this.orders.findById(id).map(OrderView::of);
	}

}
