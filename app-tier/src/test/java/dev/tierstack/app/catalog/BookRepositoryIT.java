package dev.tierstack.app.catalog;

import java.util.List;

import dev.tierstack.app.JpaIntegrationTest;
import dev.tierstack.app.RecordingStatementInspector;
import dev.tierstack.app.TestBooks;
import dev.tierstack.db.testsupport.CatalogSearchSql;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

@JpaIntegrationTest
class BookRepositoryIT {

	@Autowired
	private CatalogService catalog;

	@Autowired
	private BookRepository books;

	@Autowired
	private JdbcClient jdbc;

	private String book(String title, String author) {
		return new TestBooks(this.jdbc).insert(title, author, "12.50", 4);
	}

	@Test
	void seedCatalogIsThere() {
		assertThat(this.books.count()).isGreaterThanOrEqualTo(10_000);
		BookPage first = this.catalog.search("", 0, 20);
		assertThat(first.totalElements()).isGreaterThanOrEqualTo(10_000);
		assertThat(first.content()).hasSize(20);
	}

	@Test
	void searchesTitleOrAuthorIgnoringCaseOrderedByTitleThenIsbn() {
		String b = book("Qwzx Beta", "Ann Writer");
		String a1 = book("Qwzx Alpha", "Bob Writer");
		String a2 = book("Qwzx Alpha", "Carl Writer");
		String byAuthor = book("Completely Different", "Dora QWZX");
		book("Unrelated", "Nobody");
		BookPage page = this.catalog.search("qWzX", 0, 10);
		assertThat(page.content()).extracting(BookView::isbn)
			.containsExactly(byAuthor, a1.compareTo(a2) < 0 ? a1 : a2, a1.compareTo(a2) < 0 ? a2 : a1, b);
		assertThat(page.totalElements()).isEqualTo(4);
		assertThat(page.totalPages()).isEqualTo(1);
	}

	@Test
	void pagesDoNotOverlap() {
		for (int i = 0; i < 5; i++) {
			book("Pgtest Same Title", "Author " + i);
		}
		BookPage first = this.catalog.search("pgtest", 0, 2);
		BookPage second = this.catalog.search("pgtest", 1, 2);
		BookPage third = this.catalog.search("pgtest", 2, 2);
		assertThat(first.totalElements()).isEqualTo(5);
		assertThat(first.totalPages()).isEqualTo(3);
		assertThat(third.content()).hasSize(1);
		List<String> all = new java.util.ArrayList<>();
		for (BookPage page : List.of(first, second, third)) {
			page.content().forEach((view) -> all.add(view.isbn()));
		}
		assertThat(all).doesNotHaveDuplicates().hasSize(5).isSorted();
	}

	@Test
	void likeMetacharactersAreLiteral() {
		String percent = book("Mtch 100% Pure", "A");
		book("Mtch 100 Pure", "A");
		String underscore = book("Mtch snake_case", "A");
		book("Mtch snakeXcase", "A");
		String bang = book("Mtch Hello!World", "A");
		String backslash = book("Mtch C:\\Temp", "A");
		assertThat(this.catalog.search("100%", 0, 10).content()).extracting(BookView::isbn).containsExactly(percent);
		assertThat(this.catalog.search("e_c", 0, 10).content()).extracting(BookView::isbn).containsExactly(underscore);
		assertThat(this.catalog.search("o!W", 0, 10).content()).extracting(BookView::isbn).containsExactly(bang);
		assertThat(this.catalog.search(":\\t", 0, 10).content()).extracting(BookView::isbn).containsExactly(backslash);
		assertThat(this.catalog.search("%", 0, 10).content()).extracting(BookView::isbn).containsExactly(percent);
		assertThat(this.catalog.search("_", 0, 10).content()).extracting(BookView::isbn).containsExactly(underscore);
	}

	@Test
	void sqlAndHtmlInTheQueryAreJustText() {
		String nasty = book("Mtch '); DROP TABLE orders; -- <script>alert(1)</script>", "A");
		assertThat(this.catalog.search("'); DROP TABLE orders; --", 0, 10).content()).extracting(BookView::isbn)
			.containsExactly(nasty);
		assertThat(this.catalog.search("<script>", 0, 10).content()).extracting(BookView::title)
			.containsExactly("Mtch '); DROP TABLE orders; -- <script>alert(1)</script>");
		assertThat(this.books.count()).isGreaterThanOrEqualTo(10_000);
	}

	@Test
	void findsOneBookByIsbn() {
		String isbn = book("Single", "Someone");
		assertThat(this.catalog.get(isbn).title()).isEqualTo("Single");
		assertThat(this.books.findByIsbn("9790000000000")).isEmpty();
	}

	@Test
	void searchCanUseTheTrigramIndexes() {
		this.catalog.search("qzqzq", 0, 20);
		String sql = RecordingStatementInspector.statements()
			.reversed()
			.stream()
			.filter((statement) -> statement.contains("ilike") && !statement.contains("count("))
			.findFirst()
			.orElseThrow();
		// The plan of the exact statement Hibernate sent, with its parameters bound; seq
		// scans off, so the test asks "can it", not "does the planner prefer it today".
		this.jdbc.sql("SET LOCAL enable_seqscan = off").update();
		Object[] params = new Object[(int) sql.chars().filter((c) -> c == '?').count()];
		for (int i = 0; i < params.length; i++) {
			params[i] = (i < 2) ? "%qzqzq%" : 20;
		}
		List<String> plan = this.jdbc.sql("EXPLAIN " + sql).params(params).query(String.class).list();
		assertThat(String.join("\n", plan)).contains("book_title_trgm_idx").contains("book_author_trgm_idx");
	}

	@Test
	void searchSendsTheStatementsWhosePlansTheDbTierChecks() {
		this.catalog.search("river", 0, 20);
		this.catalog.search("river", 2, 20);
		assertThat(RecordingStatementInspector.statements()).contains(CatalogSearchSql.FIRST_PAGE,
				CatalogSearchSql.LATER_PAGE, CatalogSearchSql.COUNT);
	}

	@Test
	void everyExecutionIsPlannedWithItsParameters() {
		// A generic plan of the first page (the driver prepares on the server from the
		// 5th run) reads the catalog in title order and filters it instead of asking the
		// trigram indexes: CatalogSearchIT in the db-tier.
		for (int i = 0; i < 10; i++) {
			this.catalog.search("river", 0, 20);
		}
		assertThat(this.jdbc.sql("SHOW plan_cache_mode").query(String.class).single()).isEqualTo("force_custom_plan");
	}

}
