package dev.tierstack.app.order;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.hibernate.validator.constraints.ISBN;

/**
 * The body of {@code POST /api/orders}.
 *
 * @param lines what to buy, 1 to 20 distinct books
 */
public record OrderRequest(@NotNull @Size(min = 1, max = 20) List<@NotNull @Valid Line> lines) {

	/**
	 * One book of an order.
	 *
	 * @param isbn the book's ISBN-13, digits only, its check digit right (a mistyped ISBN
	 * is the client's mistake, told as such, not an unknown book)
	 * @param quantity copies, 1 to 1000 (the database enforces the same range)
	 */
	public record Line(
			@NotNull @Pattern(regexp = "[0-9]{13}", message = "must be 13 digits") @ISBN(type = ISBN.Type.ISBN_13,
					message = "is not a valid ISBN-13 (check digit)") String isbn,
			@NotNull @Min(1) @Max(1000) Integer quantity) {

	}

}
