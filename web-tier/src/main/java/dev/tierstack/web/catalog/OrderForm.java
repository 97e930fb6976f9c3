package dev.tierstack.web.catalog;

import java.util.UUID;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * The order form on a book's page. A JavaBean rather than a record: a quantity that is
 * not a number must come back to the form as a field error, with the other fields kept.
 * <p>
 * The idempotency key is made when the form is rendered and travels in a hidden field, so
 * a form submitted twice (a double click, a reload, a retry after a lost answer) places
 * one order.
 */
public class OrderForm {

	@NotNull
	@Pattern(regexp = "\\d{13}", message = "That is not a book we know.")
	private String isbn;

	@NotNull(message = "Please enter how many copies you want.")
	@Min(value = 1, message = "Please order at least one copy.")
	@Max(value = 1000, message = "Please order at most 1000 copies.")
	private Integer quantity;

	@NotNull
	@Pattern(regexp = "[A-Za-z0-9_-]{1,64}", message = "The form has expired; please try again.")
	private String idempotencyKey;

	public static OrderForm forBook(String isbn) {
		OrderForm form = new OrderForm();
		form.setIsbn(isbn);
		form.setQuantity(1);
		form.setIdempotencyKey(newIdempotencyKey());
		return form;
	}

	public static String newIdempotencyKey() {
		return UUID.randomUUID().toString();
	}

	public String getIsbn() {
		return this.isbn;
	}

	public void setIsbn(String isbn) {
		this.isbn = isbn;
	}

	public Integer getQuantity() {
		return this.quantity;
	}

	public void setQuantity(Integer quantity) {
		this.quantity = quantity;
	}

	public String getIdempotencyKey() {
		return this.idempotencyKey;
	}

	public void setIdempotencyKey(String idempotencyKey) {
		this.idempotencyKey = idempotencyKey;
	}

}
