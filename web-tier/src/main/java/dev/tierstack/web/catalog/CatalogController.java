package dev.tierstack.web.catalog;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The catalog: search by title or author, a page of books at a time.
 */
@Controller
public class CatalogController {

	// The app tier refuses longer queries; the search box allows no more either.
	static final int MAX_QUERY_LENGTH = 100;

	private final BookCatalog catalog;

	CatalogController(BookCatalog catalog) {
		this.catalog = catalog;
	}

	@GetMapping("/")
	String catalog(@RequestParam(defaultValue = "") String q, @RequestParam(defaultValue = "0") int page, Model model) {
		String query = q.strip();
		if (query.length() > MAX_QUERY_LENGTH) {
			query = query.substring(0, MAX_QUERY_LENGTH);
		}
		model.addAttribute("q", query);
		model.addAttribute("books", this.catalog.search(query, Math.max(page, 0)));
		return "catalog/list";
	}

}
