package dev.tierstack.support;

/**
 * The tiers whose nodes label every response: the header that names the node, and the
 * request attribute that holds its name for the pages.
 */
public enum Tier {

	/** Pages and the front door of the API. */
	WEB("X-Web-Node", "X-Web-Version", "webNode"),

	/** The REST API and the business rules. */
	APP("X-App-Node", "X-App-Version", "appNode");

	private final String nodeHeader;

	private final String versionHeader;

	private final String nodeAttribute;

	Tier(String nodeHeader, String versionHeader, String nodeAttribute) {
		this.nodeHeader = nodeHeader;
		this.versionHeader = versionHeader;
		this.nodeAttribute = nodeAttribute;
	}

	public String nodeHeader() {
		return this.nodeHeader;
	}

	public String versionHeader() {
		return this.versionHeader;
	}

	public String nodeAttribute() {
		return this.nodeAttribute;
	}

}
