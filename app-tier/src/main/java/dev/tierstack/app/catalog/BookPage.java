package dev.tierstack.app.catalog;

import java.util.List;

/**
 * One page of a catalog listing. Its own type rather than Spring Data's {@code Page}, so
 * that the JSON shape is the contract's and does not change with a library upgrade.
 */
public record BookPage(List<BookView> content, int page, int size, long totalElements, int totalPages) {

}
