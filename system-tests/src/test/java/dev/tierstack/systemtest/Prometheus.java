package dev.tierstack.systemtest;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** The stack's Prometheus, through its HTTP API on the operations network. */
final class Prometheus {

	private final HttpClient http;

	private final String url;

	Prometheus(ComposeStack stack, HttpClient http) {
		this.http = http;
		this.url = stack.prometheusUrl();
	}

	/** The data of an API answer. */
	JsonNode api(String path) {
		JsonNode answer = Http.json(Http.get(this.http, this.url, path));
		assertThat(answer.path("status").asString()).as(path).isEqualTo("success");
		return answer.path("data");
	}

	/** An instant query's answer, one "instance=value" per series. */
	List<String> query(String promql) {
		List<String> values = new ArrayList<>();
		String path = "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
		for (JsonNode series : api(path).path("result")) {
			values.add(
					series.path("metric").path("instance").asString("") + "=" + series.path("value").get(1).asString());
		}
		return values;
	}

	/**
	 * The jobs for which an alert fires on an instance.
	 * @param alert the alert's name
	 * @param instance the instance label
	 * @return the job labels of the firing alerts
	 */
	Set<String> firing(String alert, String instance) {
		Set<String> jobs = new TreeSet<>();
		for (JsonNode firing : api("/api/v1/alerts").path("alerts")) {
			JsonNode labels = firing.path("labels");
			if ("firing".equals(firing.path("state").asString()) && alert.equals(labels.path("alertname").asString())
					&& instance.equals(labels.path("instance").asString())) {
				jobs.add(labels.path("job").asString());
			}
		}
		return jobs;
	}

	/** The load balancer that holds the VIP as its last scrape says, or "" when none. */
	String vipHolder() {
		List<String> holders = query("tierstack_vip_held == 1");
		return (holders.size() == 1) ? holders.get(0).substring(0, holders.get(0).indexOf('=')) : "";
	}

}
