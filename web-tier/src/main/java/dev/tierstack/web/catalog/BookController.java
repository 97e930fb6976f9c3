package dev.tierstack.web.catalog;

import java.util.regex.Pattern;

import dev.tierstack.web.system.PostsForms;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.server.ResponseStatusException;

/**
 * A book's page, with the form to order it.
 */
@Controller
@PostsForms
class BookController {

	private static final Pattern ISBN = Pattern.compile("\\d{13}");

	private final BookCatalog catalog;

	BookController(BookCatalog catalog) {
		this.catalog = catalog;
	}

	@GetMapping("/books/{isbn}")
	String book(@PathVariable String isbn, Model model) {
		// Not an ISBN cannot be a book: a plain 404, not a round trip to the app tier.
		if (!ISBN.matcher(isbn).matches()) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND);
		}
		Book book = this.catalog.find(isbn).orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND));
		model.addAttribute("book", book);
		model.addAttribute("orderForm", OrderForm.forBook(isbn));
		return "catalog/book";
	}

}
