package dev.tierstack.web.order;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.tierstack.support.IdempotencyKey;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/**
 * The orders part of the app tier's API.
 */
@Component
public class Orders {

	private final RestClient appTier;

	Orders(RestClient appTierRestClient) {
		this.appTier = appTierRestClient;
	}

	/**
	 * Places an order for one book. The idempotency key makes this safe to repeat: the
	 * app tier answers a repeat with the order it placed the first time.
	 * @param isbn the book
	 * @param quantity copies
	 * @param idempotencyKey the key from the form
	 * @return the order
	 * @throws OrderRejectedException if the app tier refused it
	 */
	public Order place(String isbn, int quantity, String idempotencyKey) {
		PlaceOrder body = new PlaceOrder(List.of(new PlaceOrder.Line(isbn, quantity)));
		return this.appTier.post()
			.uri("/api/orders")
			.header(IdempotencyKey.HEADER, idempotencyKey)
			.contentType(MediaType.APPLICATION_JSON)
			.body(body)
			.exchange((request, response) -> {
				if (response.getStatusCode().is2xxSuccessful()) {
					return response.bodyTo(Order.class);
				}
				if (response.getStatusCode().is4xxClientError()) {
					ProblemDetail problem = response.bodyTo(ProblemDetail.class);
					String type = (problem != null) ? String.valueOf(problem.getType()) : "";
					String detail = (problem != null) ? problem.getDetail() : null;
					throw new OrderRejectedException(response.getStatusCode(), type, detail);
				}
				throw response.createException();
			});
	}

	public Optional<Order> find(UUID id) {
		return this.appTier.get().uri("/api/orders/{id}", id).exchange((request, response) -> {
			if (response.getStatusCode().isSameCodeAs(HttpStatus.NOT_FOUND)) {
				return Optional.empty();
			}
			if (response.getStatusCode().isError()) {
				throw response.createException();
			}
			return Optional.ofNullable(response.bodyTo(Order.class));
		});
	}

	record PlaceOrder(List<Line> lines) {

		record Line(String isbn, int quantity) {

		}

	}

}
