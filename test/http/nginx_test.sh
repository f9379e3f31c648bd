#!/usr/bin/env bash
# The public route of deploy/nginx/ in a real nginx, on loopback only.
#
# deploy/nginx.conf is checked with "nginx -t" as it is.  Then a throwaway
# nginx serves the deployment's own snippets (deploy/nginx/*.conf, included,
# not copied) with the upstream "postgrest" pointed at a stand-in server
# that echoes what it received, and curl asserts what reached the upstream
# for each public request.  Prints "N passed, N failed"; exits non-zero on
# any failure; stops its nginx on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

# nginx, curl and openssl from Debian when missing (tools/deps.sh installs
# the build dependencies too; they are there already when tools/test.sh ran).
PATH=$PATH:/usr/sbin
command -v nginx >/dev/null && command -v curl >/dev/null && command -v openssl >/dev/null \
    || bash tools/deps.sh nginx curl openssl

tmp=$(mktemp -d /tmp/invite_api_nginx.XXXXXX)
nginx_pid=
stop() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap stop EXIT

mkdir -p "$tmp/snippets" "$tmp/logs" "$tmp/temp" "$tmp/tls"
ln -s "$root/deploy/nginx/invite_api_maps.conf" "$tmp/snippets/"
ln -s "$root/deploy/nginx/invite_api_locations.conf" "$tmp/snippets/"

# Where nginx keeps its files, so that nothing outside $tmp is touched.
common="pid $tmp/nginx.pid;
error_log $tmp/logs/error.log warn;
events { worker_connections 64; }"
http_common="access_log $tmp/logs/access.log;
    client_body_temp_path $tmp/temp/body;
    proxy_temp_path $tmp/temp/proxy;
    fastcgi_temp_path $tmp/temp/fastcgi;
    uwsgi_temp_path $tmp/temp/uwsgi;
    scgi_temp_path $tmp/temp/scgi;"

# 1. The deployment file itself is valid nginx (with a throwaway certificate
#    where it expects the real one).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=community.example.com \
    -keyout "$tmp/tls/community.example.com.key" -out "$tmp/tls/community.example.com.crt" \
    2>/dev/null
cat >"$tmp/check.conf" <<CONF
$common
http {
    $http_common
    include $root/deploy/nginx.conf;
}
CONF
passed=0
failed=0
if nginx -q -t -p "$tmp/" -c "$tmp/check.conf" -e "$tmp/logs/error.log"; then
    passed=$((passed + 1))
else
    echo "FAIL: nginx -t on deploy/nginx.conf"
    failed=$((failed + 1))
fi

# 2. A public server with the deployment's route, and the stand-in upstream.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
    public_port=$((20000 + RANDOM % 40000))
    upstream_port=$((public_port + 1))
    port_in_use "$public_port" || port_in_use "$upstream_port" || break
done
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
$common
http {
    $http_common
    include snippets/invite_api_maps.conf;

    upstream postgrest {
        server 127.0.0.1:$upstream_port;
    }

    server {
        listen 127.0.0.1:$public_port;
        include snippets/invite_api_locations.conf;
        location / {
            return 404 "not routed\n";
        }
    }

    # Stand-in for PostgREST: answers with what it received, in the body
    # and (for HEAD) in a header, and sends a Content-Range as PostgREST does.
    server {
        listen 127.0.0.1:$upstream_port;
        location / {
            set \$seen "\$request_method \$request_uri|authorization=\$http_authorization|accept=\$http_accept|range=\$http_range|prefer=\$http_prefer|accept-profile=\$http_accept_profile|cookie=\$http_cookie|content-length=\$http_content_length";
            add_header X-Seen \$seen always;
            add_header Content-Range "0-0/*" always;
            return 200 "\$seen";
        }
    }
}
CONF
nginx -p "$tmp/" -c "$tmp/nginx.conf" -e "$tmp/logs/error.log" &
nginx_pid=$!
for _ in $(seq 50); do
    port_in_use "$public_port" && port_in_use "$upstream_port" && break
    sleep 0.1
done

base=http://127.0.0.1:$public_port
# What the upstream saw when nothing but these was sent.
seen() {
    printf '%s|authorization=%s|accept=application/json|range=|prefer=|accept-profile=|cookie=|content-length=' \
        "$1" "${2:-}"
}

# expect NAME STATUS BODY [curl arguments...]: the status and body the
# client gets.
expect() {
    local name=$1 want_status=$2 want_body=$3
    shift 3
    local got
    got=$(curl -sS --max-time 10 -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@") || got="curl failed"
    local body
    body=$(cat "$tmp/body" 2>/dev/null || true)
    if [ "$got" = "$want_status" ] && [ "$body" = "$want_body" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        echo "  want: $want_status $want_body"
        echo "  got:  $got $body"
    fi
}

# expect_header NAME HEADER VALUE: a response header of the last request
# ("" for absent).
expect_header() {
    local name=$1 header=$2 want=$3 got
    got=$(grep -i "^$header:" "$tmp/headers" | head -n 1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r' || true)
    if [ "$got" = "$want" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name: $header"
        echo "  want: $want"
        echo "  got:  $got"
    fi
}

token='Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo4MDF9.c2ln'
path=/api/v2/event/42/invite/

# The public request, with and without limit and offset.
expect "GET with token, no paging" 200 \
    "$(seen "GET /rpc/event_invites?id=42" "$token")" \
    -H "Authorization: $token" "$base$path"
expect "GET with limit and offset" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=5&page_offset=10" "$token")" \
    -H "Authorization: $token" "$base$path?limit=5&offset=10"
expect "GET with offset before limit" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=5&page_offset=10" "$token")" \
    -H "Authorization: $token" "$base$path?offset=10&limit=5"
expect "GET with limit only" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=5" "$token")" \
    -H "Authorization: $token" "$base$path?limit=5"
expect "GET with offset only" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_offset=10" "$token")" \
    -H "Authorization: $token" "$base$path?offset=10"
expect "GET with empty limit and offset" 200 \
    "$(seen "GET /rpc/event_invites?id=42" "$token")" \
    -H "Authorization: $token" "$base$path?limit=&offset="
expect "GET with limit 0: digits, passed on for the function to refuse (400)" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=0&page_offset=00" "$token")" \
    -H "Authorization: $token" "$base$path?limit=0&offset=00"

# Anything but decimal digits in limit or offset is answered 400 by nginx and
# never reaches PostgREST: PostgREST splits query strings on ";" as well as
# "&", so "limit=5;select=count" would reach it as two parameters.
bad_limit='{"code":"400","details":"\"limit\" must be written in decimal digits.","hint":null,"message":"invalid value for \"limit\""}'
bad_offset='{"code":"400","details":"\"offset\" must be written in decimal digits.","hint":null,"message":"invalid value for \"offset\""}'
expect "GET with ; in limit: PostgREST would see select= and offset=" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=5;select=count;offset=3"
expect_header "GET with ; in limit" Content-Type "application/json"
expect "GET with ; in offset" 400 "$bad_offset" \
    -H "Authorization: $token" "$base$path?limit=5&offset=3;order=id.desc"
expect "GET with ; alone in limit" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=;"
expect "GET with an encoded ; in limit" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=5%3Bselect=count"
expect "GET with a non-numeric limit" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=abc"
expect "GET with a negative offset" 400 "$bad_offset" \
    -H "Authorization: $token" "$base$path?offset=-1"
expect "GET with a signed limit" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=%2B5"
expect "GET with a percent-encoded digit" 400 "$bad_offset" \
    -H "Authorization: $token" "$base$path?offset=%31"
expect "GET with a space after the digits" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=5%20"
expect "GET with a bad limit and a good offset: the limit is named" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?offset=2&limit=x"
expect "GET with a bad LIMIT in capitals (nginx matches names in any case)" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?LIMIT=5;select=count"
expect "GET with a long run of digits: passed on for the cast to refuse (400)" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=99999999999999999999" "$token")" \
    -H "Authorization: $token" "$base$path?limit=99999999999999999999"
expect "GET with an encoded & in limit: refused, adds no parameter" 400 "$bad_limit" \
    -H "Authorization: $token" "$base$path?limit=2%26id%3D9"
expect "GET with PostgREST's own parameters: dropped" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=3" "$token")" \
    -H "Authorization: $token" "$base$path?id=9&page_limit=7&page_offset=1&select=count&order=id&limit=3"
expect "GET without Authorization" 200 \
    "$(seen "GET /rpc/event_invites?id=42&page_limit=5")" \
    "$base$path?limit=5"
expect "GET with a long id" 200 \
    "$(seen "GET /rpc/event_invites?id=9223372036854775807" "$token")" \
    -H "Authorization: $token" "$base/api/v2/event/9223372036854775807/invite/"

# Only the listed headers reach PostgREST, and no body.
expect "GET with PostgREST's own headers and a body: none passed on" 200 \
    "$(seen "GET /rpc/event_invites?id=42" "$token")" \
    -H "Authorization: $token" -H "Accept: text/csv" -H "Range: 0-0" -H "Range-Unit: items" \
    -H "Prefer: count=exact" -H "Accept-Profile: invite_api" -H "Cookie: session=1" \
    -X GET --data-raw 'ignored' "$base$path"
# PostgREST's Content-Range does not reach the client; Allow is always sent.
expect_header "GET response" Content-Range ""
expect_header "GET response" Allow "GET, HEAD"

# HEAD is served like GET, without a body.  Sent by hand (HTTP/1.0, so the
# server closes the connection) to see that no body follows the headers.
exec 3<>"/dev/tcp/127.0.0.1/$public_port"
printf 'HEAD %s?limit=1 HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n\r\n' \
    "$path" "$token" >&3
timeout 10 cat <&3 >"$tmp/head" || true
exec 3<&-
sed -n '1,/^\r$/p' "$tmp/head" >"$tmp/headers"
head_status=$(head -n 1 "$tmp/headers" | cut -d' ' -f2)
head_body_bytes=$(( $(wc -c <"$tmp/head") - $(wc -c <"$tmp/headers") ))
if [ "$head_status" = 200 ] && [ "$head_body_bytes" -eq 0 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: HEAD: want 200 and no body, got status $head_status and $head_body_bytes body bytes"
fi
expect_header "HEAD reached the upstream as HEAD" X-Seen \
    "$(seen "HEAD /rpc/event_invites?id=42&page_limit=1" "$token")"

# Other methods: 405 with Allow, a JSON body, and nothing sent upstream.
method_body='{"code":"405","details":"This resource answers GET and HEAD only.","hint":null,"message":"method not allowed"}'
for method in POST PUT PATCH DELETE OPTIONS; do
    expect "$method is refused" 405 "$method_body" \
        -X "$method" -H "Authorization: $token" --data-raw '{}' "$base$path"
    expect_header "$method is refused" Allow "GET, HEAD"
    expect_header "$method is refused" Content-Type "application/json"
done

# Paths that are not the route never reach the upstream.
expect "non-numeric id" 404 "not routed" -H "Authorization: $token" "$base/api/v2/event/abc/invite/"
expect "negative id" 404 "not routed" "$base/api/v2/event/-1/invite/"
expect "empty id" 404 "not routed" "$base/api/v2/event//invite/"
expect "trailing extra segment" 404 "not routed" "$base/api/v2/event/42/invite/extra"
expect "no trailing slash" 404 "not routed" "$base/api/v2/event/42/invite"
expect "prefix before the route" 404 "not routed" "$base/x/api/v2/event/42/invite/"
expect "PostgREST's own path" 404 "not routed" "$base/rpc/event_invites?id=42"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
