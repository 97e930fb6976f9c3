package dev.tierstack.app.order;

import java.math.BigDecimal;

import dev.tierstack.app.catalog.Book;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.FetchType;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;

/**
 * One line of an order, with the price the book had when it was ordered.
 */
@Embeddable
class OrderLine {

	@Column(name = "line_no", nullable = false)
	private short lineNo;

	@ManyToOne(fetch = FetchType.LAZY, optional = false)
	@JoinColumn(name = "book_id", nullable = false)
	private Book book;

	@Column(nullable = false)
	private int quantity;

	@Column(name = "unit_price", nullable = false, precision = 10, scale = 2)
	private BigDecimal unitPrice;

	protected OrderLine() {
	}

	OrderLine(short lineNo, Book book, int quantity, BigDecimal unitPrice) {
		this.lineNo = lineNo;
		this.book = book;
		this.quantity = quantity;
		this.unitPrice = unitPrice;
	}

	short getLineNo() {
		return this.lineNo;
	}

	Book getBook() {
		return this.book;
	}

	int getQuantity() {
		return this.quantity;
	}

	BigDecimal getUnitPrice() {
		return this.unitPrice;
	}

	BigDecimal lineTotal() {
		return this.unitPrice.multiply(BigDecimal.valueOf(this.quantity));
	}

}
