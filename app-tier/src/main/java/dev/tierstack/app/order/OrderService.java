package dev.tierstack.app.order;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import dev.tierstack.app.system.NotFoundException;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;

/**
 * Places and finds orders. An {@code Idempotency-Key} makes placing an order safe to
 * retry: the first request with a key places the order, later ones with the same request
 * get the stored order back, and ones with a different request are refused.
 */
@Service
public class OrderService {

	private final OrderPlacement placement;

	OrderService(OrderPlacement placement) {
		this.placement = placement;
	}

	public PlacedOrder place(String idempotencyKey, OrderRequest request) {
		rejectDuplicateBooks(request);
		String requestHash = RequestHash.of(request);
		Optional<PlacedOrder> replay = replay(idempotencyKey, requestHash);
		if (replay.isPresent()) {
			return replay.get();
		}
		try {
			return new PlacedOrder(this.placement.place(idempotencyKey, requestHash, request), false);
		}
		catch (DataIntegrityViolationException ex) {
			// A concurrent request with the same key won the unique constraint. Our
			// transaction is rolled back and over; a new one sees the winner's order.
			return replay(idempotencyKey, requestHash).orElseThrow(() -> ex);
		}
	}

	public OrderView get(UUID id) {
		return this.placement.find(id).orElseThrow(() -> new NotFoundException("No order with id " + id + "."));
	}

	private Optional<PlacedOrder> replay(String idempotencyKey, String requestHash) {
		return this.placement.findByIdempotencyKey(idempotencyKey).map((stored) -> {
			if (!stored.requestHash().equals(requestHash)) {
				throw new OrderExceptions.IdempotencyKeyReuse();
			}
			return new PlacedOrder(stored.order(), true);
		});
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
