package dev.tierstack.web.order;

import org.springframework.http.HttpStatusCode;

/**
 * The app tier refused to place an order (a 4xx problem answer); nothing was stored.
 */
class OrderRejectedException extends RuntimeException {

	private final HttpStatusCode status;

	private final String problemType;

	OrderRejectedException(HttpStatusCode status, String problemType, String detail) {
		super(detail);
		this.status = status;
		this.problemType = problemType;
	}

	HttpStatusCode status() {
		return this.status;
	}

	boolean isInsufficientStock() {
		return "urn:tierstack:problem:insufficient-stock".equals(this.problemType);
	}

}
