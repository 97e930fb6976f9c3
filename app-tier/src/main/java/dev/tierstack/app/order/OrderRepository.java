package dev.tierstack.app.order;

import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface OrderRepository extends JpaRepository<PurchaseOrder, UUID> {

	Optional<PurchaseOrder> findByIdempotencyKey(String idempotencyKey);

}
