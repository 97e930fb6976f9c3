package dev.tierstack.db.testsupport;

/**
 * The catalog search as the app tier sends it: Hibernate's SQL for
 * {@code BookRepository.search}, with the driver's placeholders (two patterns, then the
 * row counts). The db-tier checks the plans of these statements, the app tier that it
 * still sends them.
 */
public final class CatalogSearchSql {

	private static final String MATCH = " from bookshop.book b1_0 where b1_0.title ilike ? escape '!' or b1_0.author ilike ? escape '!'";

	private static final String PAGE = "select b1_0.id,b1_0.author,b1_0.isbn,b1_0.price,b1_0.published_year,b1_0.stock,b1_0.title"
			+ MATCH + " order by b1_0.title,b1_0.isbn";

	/** The first page: pattern, pattern, page size. */
	public static final String FIRST_PAGE = PAGE + " fetch first ? rows only";

	/** Any later page: pattern, pattern, offset, page size. */
	public static final String LATER_PAGE = PAGE + " offset ? rows fetch first ? rows only";

	/** The number of matches, for the page's totals: pattern, pattern. */
	public static final String COUNT = "select count(*)" + MATCH;

	private CatalogSearchSql() {
	}

}
