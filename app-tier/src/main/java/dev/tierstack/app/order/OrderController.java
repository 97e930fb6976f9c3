package dev.tierstack.app.order;

import java.net.URI;
import java.util.UUID;

import dev.tierstack.support.IdempotencyKey;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/orders")
class OrderController {

	static final String IDEMPOTENCY_REPLAYED = "Idempotency-Replayed";

	private final OrderService orders;

	OrderController(OrderService orders) {
		this.orders = orders;
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<OrderView> place(
			@RequestHeader(IdempotencyKey.HEADER) @Pattern(regexp = "[A-Za-z0-9_-]{1,64}",
					message = "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'") String idempotencyKey,
			@Valid @RequestBody OrderRequest request) {
		PlacedOrder placed = this.orders.place(idempotencyKey, request);
		ResponseEntity.BodyBuilder response = ResponseEntity.created(URI.create("/api/orders/" + placed.order().id()));
		if (placed.replayed()) {
			response.header(IDEMPOTENCY_REPLAYED, "true");
		}
		return response.body(placed.order());
	}

	@GetMapping("/{id}")
	OrderView get(@PathVariable UUID id) {
		return this.orders.get(id);
	}

}
