package dev.tierstack.app.order;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import dev.tierstack.app.catalog.Book;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderBy;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PostPersist;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import org.springframework.data.domain.Persistable;

/**
 * A placed order. Never changes once stored; the lines are values of the order, not
 * entities of their own.
 */
@Entity
@Table(name = "purchase_order")
class PurchaseOrder implements Persistable<UUID> {

	@Id
	private UUID id;

	@Column(name = "idempotency_key", nullable = false, length = 64)
	private String idempotencyKey;

	@JdbcTypeCode(SqlTypes.CHAR)
	@Column(name = "request_hash", nullable = false, length = 64)
	private String requestHash;

	@Column(nullable = false, precision = 12, scale = 2)
	private BigDecimal total;

	@Column(name = "created_at", nullable = false)
	private Instant createdAt;

	@ElementCollection
	@CollectionTable(name = "order_line", joinColumns = @JoinColumn(name = "order_id"))
	@OrderBy("lineNo")
	private List<OrderLine> lines = new ArrayList<>();

	// The id is assigned here, so Spring Data cannot tell a new order from a stored one.
	@Transient
	private boolean isNew = true;

	protected PurchaseOrder() {
	}

	PurchaseOrder(UUID id, String idempotencyKey, String requestHash, Instant createdAt) {
		this.id = id;
		this.idempotencyKey = idempotencyKey;
		this.requestHash = requestHash;
		this.createdAt = createdAt;
		this.total = BigDecimal.ZERO.setScale(2);
	}

	void addLine(Book book, int quantity) {
		OrderLine line = new OrderLine((short) (this.lines.size() + 1), book, quantity, book.getPrice());
		this.lines.add(line);
		this.total = this.total.add(line.lineTotal());
	}

	@Override
	public UUID getId() {
		return this.id;
	}

	@Override
	public boolean isNew() {
		return this.isNew;
	}

	@PostLoad
	@PostPersist
	void stored() {
		this.isNew = false;
	}

	String getIdempotencyKey() {
		return this.idempotencyKey;
	}

	String getRequestHash() {
		return this.requestHash;
	}

	BigDecimal getTotal() {
		return this.total;
	}

	Instant getCreatedAt() {
		return this.createdAt;
	}

	List<OrderLine> getLines() {
		return Collections.unmodifiableList(this.lines);
	}

}
