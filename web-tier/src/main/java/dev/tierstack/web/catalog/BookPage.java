package dev.tierstack.web.catalog;

import java.util.List;

/**
 * One page of search results.
 *
 * @param content the books on this page
 * @param page the page number, from 0
 * @param size the page size
 * @param totalElements books matching the search
 * @param totalPages pages in all
 */
public record BookPage(List<Book> content, int page, int size, long totalElements, int totalPages) {

	public boolean hasPrevious() {
		return this.page > 0;
	}

	public boolean hasNext() {
		return this.page + 1 < this.totalPages;
	}

}
