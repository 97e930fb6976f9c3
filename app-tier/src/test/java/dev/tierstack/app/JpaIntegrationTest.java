package dev.tierstack.app;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;

import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.test.context.ContextConfiguration;

/**
 * The JPA slice against the real database (never an embedded one), as the runtime role.
 * Each test runs in a transaction that is rolled back. The services come along, so that
 * all such tests share one context.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@EnabledIfDockerAvailable
@DataJpaTest(
		properties = "spring.jpa.properties.hibernate.session_factory.statement_inspector=dev.tierstack.app.RecordingStatementInspector",
		includeFilters = @ComponentScan.Filter(type = FilterType.REGEX,
				pattern = "dev\\.tierstack\\.app\\..*\\.(CatalogService|OrderService|OrderPlacement)"))
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@ContextConfiguration(initializers = TestDatabase.class)
public @interface JpaIntegrationTest {

}
