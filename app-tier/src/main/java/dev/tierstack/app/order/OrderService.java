package dev.tierstack.app.order;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.tierstack.app.system.NotFoundException;

import org.springframework.stereotype.Service;

/**
 * Places and finds orders. An {@code Idempotency-Key} makes placing an order safe to
 * retry: the first request with a key places the order, later ones with the same request
 * get the stored order back, and ones with a different request are refused, whatever
 * their timing (requests with one key are placed one after another).
 */
@Service
public class OrderService {

	private final OrderPlacement placement;

	OrderService(OrderPlacement placement) {
		this.placement = placement;
	}

	public PlacedOrder place(String idempotencyKey, OrderRequest request) {
		rejectDuplicateBooks(request);
		return this.placement.place(idempotencyKey, RequestHash.of(request), request);
	}

	public OrderView get(UUID id) {
		return this.placement.find(id).orElseThrow(() -> new NotFoundException("No order with id " + id + "."));
	}

	private static void rejectDuplicateBooks(OrderRequest request) {
		Set<String> seen = new HashSet<>();
		List<String> repeated = request.lines()
			.stream()
			.map(OrderRequest.Line::isbn)
			.filter((isbn) -> !seen.add(isbn))
			.distinct()
			.toList();
		if (!repeated.isEmpty()) {
			throw new OrderExceptions.DuplicateBooks(repeated);
		}
	}

}
