package dev.tierstack.app.catalog;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import jakarta.persistence.LockModeType;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface BookRepository extends JpaRepository<Book, Long> {

	/** The escape character of {@link #search} patterns. */
	char LIKE_ESCAPE = '!';

	Optional<Book> findByIsbn(String isbn);

	/**
	 * Books whose title or author contains a pattern, ignoring case. {@code ilike} on the
	 * plain columns matches the trigram indexes of migration V2 (GIN, gin_trgm_ops on
	 * {@code title} and {@code author}), so PostgreSQL can answer an unanchored substring
	 * search from the indexes.
	 * @param pattern a LIKE pattern, metacharacters escaped with '!'
	 * @param pageable page and order
	 * @return the page
	 */
	@Query("""
			select b from Book b
			where b.title ilike :pattern escape '!' or b.author ilike :pattern escape '!'
			""")
	Page<Book> search(@Param("pattern") String pattern, Pageable pageable);

	/**
	 * Locks the books of an order for the rest of the transaction. Rows are locked in id
	 * order, so two orders for the same books wait for each other instead of deadlocking.
	 */
	@Lock(LockModeType.PESSIMISTIC_WRITE)
	@Query("select b from Book b where b.isbn in :isbns order by b.id")
	List<Book> lockAllByIsbn(@Param("isbns") Collection<String> isbns);

}
