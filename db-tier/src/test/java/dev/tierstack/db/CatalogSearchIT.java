package dev.tierstack.db;

import java.sql.Connection;
import java.sql.Statement;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog search (title or author, case-insensitive substring, ordered by title and
 * isbn) is served by the indexes of V2, not by reading the whole book table.
 */
@EnabledIfDockerAvailable
class CatalogSearchIT {

	private static final String MATCH = "title ILIKE %1$s OR author ILIKE %1$s";

	private static final String COUNT = "SELECT count(*) FROM book WHERE " + MATCH;

	private static final String PAGE = "SELECT isbn, title, author, published_year, price, stock FROM book WHERE "
			+ MATCH + " ORDER BY title, isbn LIMIT 20 OFFSET 0";

	@BeforeAll
	static void analyze() throws Exception {
		try (Connection owner = MigratedDatabase.owner(); Statement statement = owner.createStatement()) {
			statement.execute("ANALYZE book");
		}
	}

	@Test
	void matchesTitleOrAuthorIgnoringCase() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(Sql.single(app, COUNT.formatted("'%RiVeR%'"))).isEqualTo("182");
			assertThat(Sql.single(app, COUNT.formatted("'%okafor%'"))).isEqualTo("233");
			assertThat(Sql.column(app, PAGE.formatted("'%zoe okafor%'"))).hasSize(6);
			assertThat(Sql.column(app, PAGE.formatted("'%river%'"))).first().isEqualTo("9781900033626");
		}
	}

	// Terms of one short word. For long terms ("lighthouse", "of the sea") every trigram
	// is one more GIN probe, and the planner's cost estimate sits so close to that of
	// reading the 152 pages of the table that it picks either plan, depending on the
	// statistics the other tests leave behind; the page query below covers those terms.
	@ParameterizedTest
	@ValueSource(strings = { "river", "okafor", "zoe" })
	void countingMatchesUsesBothTrigramIndexes(String term) throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			String plan = Sql.explain(app, COUNT.formatted("'%" + term + "%'"));

			assertThat(plan).doesNotContain("Seq Scan")
				.contains("BitmapOr", "Bitmap Index Scan on book_title_trgm_idx",
						"Bitmap Index Scan on book_author_trgm_idx");
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "river", "okafor", "lighthouse", "zoe okafor", "of the sea" })
	void aPageOfMatchesIsNotASequentialScan(String term) throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			// Depending on how many rows the planner expects, it either combines the
			// trigram indexes and sorts, or walks (title, isbn) until the page is full.
			assertThat(Sql.explain(app, PAGE.formatted("'%" + term + "%'"))).doesNotContain("Seq Scan")
				.containsAnyOf("Bitmap Index Scan on book_title_trgm_idx", "Index Scan using book_title_isbn_idx");
		}
	}

	@Test
	void preparedSearchWithAGenericPlanUsesTheTrigramIndexes() throws Exception {
		// The app tier binds the pattern as a parameter. After a few executions
		// PostgreSQL may switch to a generic plan, made without knowing the pattern: it
		// must still use the indexes.
		try (Connection app = MigratedDatabase.app(); Statement statement = app.createStatement()) {
			statement.execute("SET plan_cache_mode = force_generic_plan");
			statement.execute("PREPARE count_matches(text) AS " + COUNT.formatted("$1"));
			statement.execute("PREPARE page_of_matches(text) AS " + PAGE.formatted("$1"));

			assertThat(String.join("\n", Sql.column(app, "EXPLAIN EXECUTE count_matches('%river%')")))
				.doesNotContain("Seq Scan")
				.contains("Bitmap Index Scan on book_title_trgm_idx", "Bitmap Index Scan on book_author_trgm_idx");
			assertThat(String.join("\n", Sql.column(app, "EXPLAIN EXECUTE page_of_matches('%river%')")))
				.doesNotContain("Seq Scan")
				.contains("Bitmap Index Scan on book_title_trgm_idx", "Bitmap Index Scan on book_author_trgm_idx");
		}
	}

	@Test
	void firstPageOfTheWholeCatalogReadsTheTitleIsbnIndex() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(Sql.explain(app, "SELECT * FROM book ORDER BY title, isbn LIMIT 20 OFFSET 0"))
				.contains("Index Scan using book_title_isbn_idx")
				.doesNotContain("Seq Scan", "Sort");
		}
	}

}
