package dev.tierstack.app.order;

/**
 * The outcome of placing an order.
 *
 * @param order the order
 * @param replayed whether it had been placed before with the same idempotency key
 */
public record PlacedOrder(OrderView order, boolean replayed) {

}
