package dev.tierstack.web.system;

import dev.tierstack.support.NodeProperties;
import dev.tierstack.web.catalog.BookCatalog;
import dev.tierstack.web.apptier.AppTierProperties;
import dev.tierstack.web.order.Orders;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * The web layer alone (controllers, templates, filters, security), with the app tier's
 * clients mocked. One base class, so that every slice test shares one context.
 */
@WebMvcTest(properties = "tierstack.node.name=web-slice")
@Import(SecurityConfiguration.class)
// Slices leave out @ConfigurationPropertiesScan.
@EnableConfigurationProperties({ NodeProperties.class, AppTierProperties.class })
public abstract class PageSliceTest {

	@Autowired
	protected MockMvc mvc;

	@MockitoBean
	protected BookCatalog catalog;

	@MockitoBean
	protected Orders orders;

}
