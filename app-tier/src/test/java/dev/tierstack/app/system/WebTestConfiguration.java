package dev.tierstack.app.system;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;

/**
 * What a web slice test needs beyond controllers and advice: the app's servlet filters.
 */
@TestConfiguration(proxyBeanMethods = false)
@Import(WebConfiguration.class)
public class WebTestConfiguration {

}
