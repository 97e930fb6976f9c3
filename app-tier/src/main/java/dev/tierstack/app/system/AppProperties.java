package dev.tierstack.app.system;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the app tier itself (the database settings are Spring Boot's own, the
 * node's name is {@code tierstack.node.name}).
 *
 * @param maxRequestBody the largest request body accepted; orders are at most 20 lines,
 * so anything near this limit is not a real client
 */
@ConfigurationProperties("app")
public record AppProperties(@DefaultValue("16KB") DataSize maxRequestBody) {

}
