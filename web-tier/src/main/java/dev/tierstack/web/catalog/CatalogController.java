package dev.tierstack.web.catalog;

import java.time.Duration;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
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

	/**
	 * How long a catalog page may be shown again without asking: it is the same for every
	 * client (no form to post, no cookie), so the load balancers keep it for that long.
	 * Its stock figures may be that old; an order takes stock from the database, never
	 * from a page.
	 */
	static final CacheControl CACHE_CONTROL = CacheControl.maxAge(Duration.ofSeconds(1)).cachePublic();

	private final BookCatalog catalog;

	CatalogController(BookCatalog catalog) {
		this.catalog = catalog;
	}

	@GetMapping("/")
	String catalog(@RequestParam(defaultValue = "") String q, @RequestParam(defaultValue = "0") int page, Model model,
			HttpServletResponse response) {
		String query = q.strip();
		if (query.length() > MAX_QUERY_LENGTH) {
			query = query.substring(0, MAX_QUERY_LENGTH);
		}
		model.addAttribute("q", query);
		model.addAttribute("books", this.catalog.search(query, Math.max(page, 0)));
		// Only once the app tier has answered: an error page is never kept.
		response.setHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL.getHeaderValue());
		return "catalog/list";
	}

}
