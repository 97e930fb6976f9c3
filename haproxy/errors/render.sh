#!/bin/sh
# Writes one HAProxy error file (<code>.http: a whole HTTP response) and its body alone
# (<code>.html, for `http-request return`) per line of pages.tsv, from page.html: the answers HAProxy makes itself look like the site's own error pages.
set -eu
cd "$(dirname "$0")"
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
done <pages.tsv
