package dev.tierstack.web.order;

import java.util.Optional;
import java.util.UUID;

import dev.tierstack.web.catalog.Book;
import dev.tierstack.web.catalog.BookCatalog;
import dev.tierstack.web.catalog.OrderForm;
import dev.tierstack.web.system.PostsForms;
import jakarta.validation.Valid;

import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.view.RedirectView;

/**
 * Placing an order from a book's page, its confirmation, and finding an order by id.
 */
@Controller
@PostsForms
public class OrderController {

	private final Orders orders;

	private final BookCatalog catalog;

	OrderController(Orders orders, BookCatalog catalog) {
		this.orders = orders;
		this.catalog = catalog;
	}

	/**
	 * Places the order and redirects to its page (post/redirect/get: reloading the
	 * confirmation does not post again). A form with mistakes, or an order the app tier
	 * refuses, comes back with the reason; nothing was stored then, so the form gets a
	 * new idempotency key.
	 * @param form the order form
	 * @param result the form's validation result
	 * @return the redirect to the order, or the book page again
	 */
	@PostMapping("/orders")
	ModelAndView placeOrder(@Valid @ModelAttribute("orderForm") OrderForm form, BindingResult result) {
		if (result.hasErrors()) {
			return bookPageAgain(form, HttpStatus.UNPROCESSABLE_CONTENT);
		}
		try {
			Order order = this.orders.place(form.getIsbn(), form.getQuantity(), form.getIdempotencyKey());
			return seeOther("/orders/" + order.id());
		}
		catch (OrderRejectedException ex) {
			ModelAndView page = bookPageAgain(form, ex.status());
			Book book = (Book) page.getModel().get("book");
			result.reject("orderRejected", ex.isInsufficientStock() ? notEnoughStock(book) : rejected(ex));
			return page;
		}
	}

	@GetMapping("/orders/{id}")
	String order(@PathVariable String id, Model model) {
		Order order = parse(id).flatMap(this.orders::find)
			.orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND));
		model.addAttribute("order", order);
		return "order/order";
	}

	@GetMapping("/orders/lookup")
	ModelAndView lookup(@RequestParam(required = false) String id) {
		ModelAndView page = new ModelAndView("order/lookup");
		if (id == null) {
			return page;
		}
		Optional<UUID> orderId = parse(id.strip());
		if (orderId.isEmpty()) {
			page.addObject("id", id);
			page.addObject("error", "That is not an order number. It looks like 1b4e28ba-2fa1-11d2-883f-0016d3cca427.");
			page.setStatus(HttpStatus.UNPROCESSABLE_CONTENT);
			return page;
		}
		return seeOther("/orders/" + orderId.get());
	}

	private ModelAndView bookPageAgain(OrderForm form, HttpStatusCode status) {
		Book book = Optional.ofNullable(form.getIsbn())
			.flatMap(this.catalog::find)
			.orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND));
		form.setIdempotencyKey(OrderForm.newIdempotencyKey());
		ModelAndView page = new ModelAndView("catalog/book");
		page.addObject("book", book);
		page.setStatus(status);
		return page;
	}

	private static String notEnoughStock(Book book) {
		if (book.stock() == 0) {
			return "Sorry, this book has just sold out.";
		}
		return "Sorry, only " + book.stock() + ((book.stock() == 1) ? " copy is" : " copies are")
				+ " in stock. Please order fewer.";
	}

	private static String rejected(OrderRejectedException ex) {
		return (ex.getMessage() != null) ? "The order was not placed: " + ex.getMessage()
				: "The order was not placed. Please try again.";
	}

	// 303: the browser follows with a GET, whatever the method of the request was.
	private static ModelAndView seeOther(String path) {
		RedirectView redirect = new RedirectView(path, true);
		redirect.setStatusCode(HttpStatus.SEE_OTHER);
		return new ModelAndView(redirect);
	}

	private static Optional<UUID> parse(String id) {
		try {
			return Optional.of(UUID.fromString(id));
		}
		catch (IllegalArgumentException ex) {
			return Optional.empty();
		}
	}

}
