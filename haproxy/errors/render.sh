#!/bin/sh
# Writes one HAProxy error file (<code>.http: a whole HTTP response) and its body alone
# (<code>.html, for `http-request return`) per line of pages.tsv, from page.html: the answers HAProxy makes itself look like the site's own error pages.
set -eu
cd "$(dirname "$0")"
: >bodies.map
tab=$(printf '\t')
while IFS="$tab" read -r code reason heading message; do
	body=$(sed -e "s|{title}|$heading|" -e "s|{heading}|$heading|" -e "s|{message}|$message|" page.html)
	length=$(printf '%s\n' "$body" | wc -c)
	retry=""
	case "$code" in 429) retry="Retry-After: 1\r\n" ;; 502|503|504) retry="Retry-After: 5\r\n" ;; esac
	{
		printf "HTTP/1.1 %s %s\r\n" "$code" "$reason"
		printf "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n${retry}Content-Length: %s\r\n\r\n" "$length"
		printf '%s\n' "$body"
	} >"$code.http"
	printf '%s\n' "$body" >"$code.html"
	# The answers HAProxy makes when a request is late or no web node answers it (408, 502,
	# 503, 504) come from bodies.map, in the format the request was for: the page on one line
	# ("<code>"), or a problem document for /api ("<code>-problem").
	case "$code" in
	408 | 502 | 503 | 504)
		slug=$(printf '%s' "$reason" | tr 'A-Z ' 'a-z-')
		printf '%s %s\n' "$code" "$(printf '%s' "$body" | tr -s '\t\n' '  ')"
		printf '%s-problem {"type":"urn:tierstack:problem:%s","title":"%s","status":%s,"detail":"%s. %s"}\n' \
			"$code" "$slug" "$reason" "$code" "$heading" "$message"
		;;
	esac >>bodies.map
done <pages.tsv
