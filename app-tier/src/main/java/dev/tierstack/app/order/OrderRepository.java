package dev.tierstack.app.order;

import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface OrderRepository extends JpaRepository<PurchaseOrder, UUID> {

	Optional<PurchaseOrder> findByIdempotencyKey(String idempotencyKey);

	/**
	 * Waits until no other transaction holds this idempotency key, then holds it until
	 * this transaction ends (a PostgreSQL advisory lock, bounded by the role's
	 * {@code lock_timeout}). Requests with different keys never wait for each other.
	 * @param idempotencyKey the key
	 * @return always 1
	 */
	@Query(value = "SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(:idempotencyKey, 0))", nativeQuery = true)
	int lockIdempotencyKey(String idempotencyKey);

}
