package dev.tierstack.app.catalog;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/books")
class CatalogController {

	// page * size must stay within what the database can skip in one query.
	static final int MAX_PAGE = 1_000_000;

	private final CatalogService catalog;

	CatalogController(CatalogService catalog) {
		this.catalog = catalog;
	}

	@GetMapping
	BookPage list(
			@RequestParam(defaultValue = "") @Size(max = 100) @Pattern(regexp = "\\P{Cntrl}*",
					message = "must not contain control characters") String q,
			@RequestParam(defaultValue = "0") @Min(0) @Max(MAX_PAGE) int page,
			@RequestParam(defaultValue = "20") @Min(1) @Max(100) int size) {
		return this.catalog.search(q, page, size);
	}

	@GetMapping("/{isbn}")
	BookView get(@PathVariable @Pattern(regexp = "[0-9]{13}", message = "must be 13 digits") String isbn) {
		return this.catalog.get(isbn);
	}

}
