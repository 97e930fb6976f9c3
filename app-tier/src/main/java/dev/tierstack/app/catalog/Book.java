package dev.tierstack.app.catalog;

import java.math.BigDecimal;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A book of the catalog with its stock. Only orders change it, and only its stock, under
 * a row lock: the runtime role may update no other column.
 */
@Entity
@Table(name = "book")
public class Book {

	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	private Long id;

	@Column(nullable = false, updatable = false, length = 13)
	private String isbn;

	@Column(nullable = false, updatable = false, length = 300)
	private String title;

	@Column(nullable = false, updatable = false, length = 200)
	private String author;

	@Column(name = "published_year", nullable = false, updatable = false)
	private short publishedYear;

	@Column(nullable = false, updatable = false, precision = 10, scale = 2)
	private BigDecimal price;

	@Column(nullable = false)
	private int stock;

	protected Book() {
	}

	public Book(String isbn, String title, String author, short publishedYear, BigDecimal price, int stock) {
		this.isbn = isbn;
		this.title = title;
		this.author = author;
		this.publishedYear = publishedYear;
		this.price = price;
		this.stock = stock;
	}

	public Long getId() {
		return this.id;
	}

	public String getIsbn() {
		return this.isbn;
	}

	public String getTitle() {
		return this.title;
	}

	public String getAuthor() {
		return this.author;
	}

	public short getPublishedYear() {
		return this.publishedYear;
	}

	public BigDecimal getPrice() {
		return this.price;
	}

	public int getStock() {
		return this.stock;
	}

	/**
	 * Takes copies out of stock. The caller holds the row lock and has checked the stock;
	 * the check here (and the database's) guards against a caller that did not.
	 */
	public void removeStock(int quantity) {
		if (quantity <= 0 || quantity > this.stock) {
			throw new IllegalStateException("Cannot remove " + quantity + " of " + this.stock + " copies");
		}
		this.stock -= quantity;
	}

}
