#!/usr/bin/env bash
# The public route of deploy/nginx/ in a real nginx, on loopback only.
#
# deploy/nginx.conf is checked with "nginx -t" as it is.  Then a throwaway
# nginx serves the deployment's own snippets (deploy/nginx/*.conf and
# invite_api.js, included, not copied) with the upstream "postgrest" pointed
# at a stand-in server that echoes what it received (test/http/standin.js
# for the write side), and curl asserts what reached the upstream for each
# public request.  Prints "N passed, N failed"; exits non-zero on any
# failure; stops its nginx on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

# nginx with its JavaScript module, curl and openssl from Debian when
# missing (tools/deps.sh installs the build dependencies too; they are there
# already when tools/test.sh ran).
PATH=$PATH:/usr/sbin
js_module=/usr/lib/nginx/modules/ngx_http_js_module.so
command -v nginx >/dev/null && command -v curl >/dev/null && command -v openssl >/dev/null \
    && [ -f "$js_module" ] \
    || bash tools/deps.sh nginx libnginx-mod-http-js curl openssl

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
ln -s "$root/deploy/nginx/invite_api.js" "$tmp/snippets/"
ln -s "$root/test/http/standin.js" "$tmp/"

# Where nginx keeps its files, so that nothing outside $tmp is touched; the
# JavaScript module, as Debian's modules-enabled/50-mod-http-js.conf loads it.
common="load_module $js_module;
pid $tmp/nginx.pid;
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
    js_import standin from standin.js;
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
        # The write side's RPCs: what PostgREST answers a void function
        # (test/http/standin.js), the body read into memory.
        location ~ ^/rpc/event_(?:un)?invite_users\$ {
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            js_content standin.rpc;
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
expect_header "GET response" Allow "GET, HEAD, POST, DELETE"

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

# Methods other than GET, HEAD, POST and DELETE: 405 with Allow, a JSON
# body, and nothing sent upstream.
method_body='{"code":"405","details":"This resource answers GET, HEAD, POST and DELETE.","hint":null,"message":"method not allowed"}'
for method in PUT PATCH OPTIONS PROPFIND; do
    expect "$method is refused" 405 "$method_body" \
        -X "$method" -H "Authorization: $token" -H "Content-Type: application/json" \
        --data-raw '{"users":[1]}' "$base$path"
    expect_header "$method is refused" Allow "GET, HEAD, POST, DELETE"
    expect_header "$method is refused" Content-Type "application/json"
    expect_header "$method is refused: nothing reached the upstream" X-Seen ""
done

# The write side.  What the stand-in saw of an RPC (test/http/standin.js):
# seen_rpc FUNCTION BODY [AUTHORIZATION].
seen_rpc() {
    local auth=${3-$token}
    printf 'POST /rpc/%s|authorization=%s|accept=application/json|content-type=application/json|content-length=%s|range=|prefer=|content-profile=|cookie=|body=%s' \
        "$1" "$auth" "${#2}" "$2"
}
# expect_rpc NAME FUNCTION BODY [curl arguments...]: the client gets
# PostgREST's 204 (no body, no Content-Type, no Content-Range, Allow), and
# the upstream received exactly POST /rpc/FUNCTION with BODY.
expect_rpc() {
    local name=$1 fn=$2 want_body=$3
    shift 3
    expect "$name" 204 "" "$@"
    expect_header "$name: what reached PostgREST" X-Seen "$(seen_rpc "$fn" "$want_body")"
    expect_header "$name" Content-Type ""
    expect_header "$name" Content-Range ""
    expect_header "$name" Allow "GET, HEAD, POST, DELETE"
}
json=(-H "Authorization: $token" -H "Content-Type: application/json")

# POST invites, DELETE uninvites: the id from the path, the users from the
# body, and nothing else of the request.
expect_rpc "POST invites" event_invite_users '{"id":42,"users":[1,2,3]}' \
    "${json[@]}" -X POST --data-raw '{"users": [1, 2, 3]}' "$base$path"
expect_rpc "DELETE uninvites" event_uninvite_users '{"id":42,"users":[1,2,3]}' \
    "${json[@]}" -X DELETE --data-raw '{"users": [1, 2, 3]}' "$base$path"
expect_rpc "POST with an id in the body: the path's id wins" event_invite_users '{"id":42,"users":[7]}' \
    "${json[@]}" -X POST --data-raw '{"id": 9, "users": [7]}' "$base$path"
expect_rpc "POST with the id after the users" event_invite_users '{"id":42,"users":[7]}' \
    "${json[@]}" -X POST --data-raw '{"users": [7], "id": "9; drop"}' "$base$path"
expect_rpc "DELETE with an id in the body" event_uninvite_users '{"id":42,"users":[7]}' \
    "${json[@]}" -X DELETE --data-raw '{"users": [7], "id": 9}' "$base$path"
expect_rpc "POST with other keys: dropped" event_invite_users '{"id":42,"users":[7,8]}' \
    "${json[@]}" -X POST --data-raw '{"users": [7, 8], "select": "count", "token": "x"}' "$base$path"
expect_rpc "POST with an empty list and repeated users: for the function to judge" \
    event_invite_users '{"id":42,"users":[]}' \
    "${json[@]}" -X POST --data-raw '{"users": []}' "$base$path"
expect_rpc "POST with repeated users, negative and large ids, 1.0 and 1e2" event_invite_users \
    '{"id":42,"users":[5,5,-3,0,9007199254740991,1,100]}' \
    "${json[@]}" -X POST --data-raw '{"users":[5,5,-3,0,9007199254740991,1.0,1e2]}' "$base$path"
expect_rpc "POST with leading zeros in the path's id" event_invite_users '{"id":42,"users":[1]}' \
    "${json[@]}" -X POST --data-raw '{"users":[1]}' "$base/api/v2/event/0042/invite/"
expect_rpc "POST to event 0" event_invite_users '{"id":0,"users":[1]}' \
    "${json[@]}" -X POST --data-raw '{"users":[1]}' "$base/api/v2/event/000/invite/"
expect_rpc "POST with an id past bigint: passed on as digits, for PostgreSQL to refuse" \
    event_invite_users '{"id":99999999999999999999,"users":[1]}' \
    "${json[@]}" -X POST --data-raw '{"users":[1]}' "$base/api/v2/event/99999999999999999999/invite/"
expect_rpc "POST with a JSON Content-Type in another spelling and a charset" event_invite_users \
    '{"id":42,"users":[1]}' \
    -H "Authorization: $token" -H "Content-Type: Application/JSON; charset=UTF-8" \
    -X POST --data-raw '{"users":[1]}' "$base$path"
expect_rpc "POST with PostgREST's own headers, parameters and a cookie: none passed on" \
    event_invite_users '{"id":42,"users":[1]}' \
    "${json[@]}" -H "Accept: text/csv" -H "Range: 0-0" -H "Prefer: return=representation" \
    -H "Content-Profile: invite_api" -H "Accept-Profile: invite_api" -H "Cookie: session=1" \
    -X POST --data-raw '{"users":[1]}' "$base$path?select=count;columns=id&limit=1"
expect "POST without Authorization: for the function to answer 401" 204 "" \
    -H "Content-Type: application/json" -X POST --data-raw '{"users":[1]}' "$base$path"
expect_header "POST without Authorization: what reached PostgREST" X-Seen \
    "$(seen_rpc event_invite_users '{"id":42,"users":[1]}' "")"

# The largest list the server takes: 10,000 ids of 16 digits, about 170 KiB
# (the stand-in reports its SHA-256).
big_users=$(seq -f '9007199254%06.0f' 0 9999 | paste -sd,)
big_rpc_body="{\"id\":42,\"users\":[$big_users]}"
printf '{"users": [%s]}' "$big_users" >"$tmp/big.json"
expect "POST with 10,000 users" 204 "" "${json[@]}" -X POST --data-binary "@$tmp/big.json" "$base$path"
expect_header "POST with 10,000 users: what reached PostgREST" X-Seen \
    "$(printf 'POST /rpc/event_invite_users|authorization=%s|accept=application/json|content-type=application/json|content-length=%s|range=|prefer=|content-profile=|cookie=|body-sha256=%s' \
        "$token" "${#big_rpc_body}" "$(printf '%s' "$big_rpc_body" | sha256sum | cut -d' ' -f1)")"

# PostgREST's errors reach the client as they are, WWW-Authenticate included.
expect "PostgREST's 401 is passed on" 401 '{"code":"standin","status":401}' \
    -H "Authorization: Bearer standin-401" -H "Content-Type: application/json" \
    -X POST --data-raw '{"users":[1]}' "$base$path"
expect_header "PostgREST's 401 is passed on" WWW-Authenticate 'Bearer error="invalid_token"'
expect_header "PostgREST's 401 is passed on" Content-Type "application/json; charset=utf-8"
expect "PostgREST's 400 is passed on" 400 '{"code":"standin","status":400}' \
    -H "Authorization: Bearer standin-400" -H "Content-Type: application/json" \
    -X DELETE --data-raw '{"users":[1]}' "$base$path"

# 415: a body that is not declared JSON; nothing reaches the upstream.
media_body='{"code":"415","details":"The body must be JSON, sent as \"Content-Type: application/json\".","hint":null,"message":"unsupported media type"}'
for content_type in "" "text/plain" "application/x-www-form-urlencoded" \
                    "application/json-patch+json" "application/json; charset=latin1"; do
    expect "POST with Content-Type \"$content_type\"" 415 "$media_body" \
        -H "Authorization: $token" -H "Content-Type: $content_type" \
        -X POST --data-raw '{"users":[1]}' "$base$path"
    expect_header "POST with Content-Type \"$content_type\"" Content-Type "application/json"
    expect_header "POST with Content-Type \"$content_type\": nothing reached the upstream" X-Seen ""
done
expect "DELETE without a body or a Content-Type" 415 "$media_body" \
    -H "Authorization: $token" -X DELETE "$base$path"

# 400: a body that is not {"users": [<integers>]}; nothing reaches the upstream.
not_object='{"code":"400","details":"The body must be a JSON object: {\"users\": [<user id>, ...]}.","hint":null,"message":"invalid request body"}'
not_list='{"code":"400","details":"\"users\" must be a list of user ids.","hint":null,"message":"invalid request body"}'
not_ints='{"code":"400","details":"\"users\" must be a list of integers between -9007199254740991 and 9007199254740991.","hint":null,"message":"invalid request body"}'
bad_body() {
    local name=$1 want=$2 data=$3
    expect "POST with $name" 400 "$want" "${json[@]}" -X POST --data-raw "$data" "$base$path"
    expect_header "POST with $name" Content-Type "application/json"
    expect_header "POST with $name: nothing reached the upstream" X-Seen ""
}
bad_body "an empty body" "$not_object" ""
bad_body "a body that is not JSON" "$not_object" "users=1"
bad_body "a truncated object" "$not_object" '{"users": [1, 2'
bad_body "a JSON array" "$not_object" '[1, 2]'
bad_body "JSON null" "$not_object" 'null'
bad_body "a JSON string" "$not_object" '"users"'
bad_body "a JSON number" "$not_object" '42'
bad_body "two objects" "$not_object" '{"users":[1]}{"users":[2]}'
bad_body "no users" "$not_list" '{"id": 42}'
bad_body "an empty object" "$not_list" '{}'
bad_body "users null" "$not_list" '{"users": null}'
bad_body "users a number" "$not_list" '{"users": 5}'
bad_body "users a string" "$not_list" '{"users": "1,2"}'
bad_body "users an object" "$not_list" '{"users": {"0": 1}}'
bad_body "users named in capitals" "$not_list" '{"Users": [1]}'
bad_body "a user id as a string" "$not_ints" '{"users": [1, "2"]}'
bad_body "a fractional user id" "$not_ints" '{"users": [1.5]}'
bad_body "a null user id" "$not_ints" '{"users": [1, null]}'
bad_body "a boolean user id" "$not_ints" '{"users": [true]}'
bad_body "a nested list" "$not_ints" '{"users": [[1]]}'
bad_body "an id past 2^53 - 1, which a double would round" "$not_ints" '{"users": [9007199254740993]}'
bad_body "an id below -(2^53 - 1)" "$not_ints" '{"users": [-9007199254740992]}'
bad_body "an id too large for a double" "$not_ints" '{"users": [1e400]}'
expect "DELETE with a body that is not JSON" 400 "$not_object" \
    "${json[@]}" -X DELETE --data-raw 'users=1' "$base$path"

# 413: a body larger than 256 KiB, whether its length is announced or not.
too_large='{"code":"413","details":"The body must not be larger than 256 KiB.","hint":null,"message":"request body too large"}'
head -c 262145 /dev/zero | tr '\0' ' ' >"$tmp/too_large.json"
expect "POST of 256 KiB + 1 byte" 413 "$too_large" \
    "${json[@]}" -X POST --data-binary "@$tmp/too_large.json" "$base$path"
expect_header "POST of 256 KiB + 1 byte" Content-Type "application/json"
expect_header "POST of 256 KiB + 1 byte: nothing reached the upstream" X-Seen ""
expect "DELETE of 256 KiB + 1 byte" 413 "$too_large" \
    "${json[@]}" -X DELETE --data-binary "@$tmp/too_large.json" "$base$path"
expect "POST of 256 KiB + 1 byte, chunked" 413 "$too_large" \
    "${json[@]}" -H "Transfer-Encoding: chunked" -X POST --data-binary "@$tmp/too_large.json" "$base$path"
expect_header "POST of 256 KiB + 1 byte, chunked: nothing reached the upstream" X-Seen ""
# Exactly 256 KiB is taken: the object padded with spaces.
{ printf '{"users": [1]}'; head -c $((262144 - 14)) /dev/zero | tr '\0' ' '; } >"$tmp/largest.json"
expect_rpc "POST of exactly 256 KiB" event_invite_users '{"id":42,"users":[1]}' \
    "${json[@]}" -X POST --data-binary "@$tmp/largest.json" "$base$path"
expect_rpc "POST of exactly 256 KiB, chunked" event_invite_users '{"id":42,"users":[1]}' \
    "${json[@]}" -H "Transfer-Encoding: chunked" -X POST --data-binary "@$tmp/largest.json" "$base$path"

# Paths that are not the route never reach the upstream.
expect "non-numeric id" 404 "not routed" -H "Authorization: $token" "$base/api/v2/event/abc/invite/"
expect "negative id" 404 "not routed" "$base/api/v2/event/-1/invite/"
expect "empty id" 404 "not routed" "$base/api/v2/event//invite/"
expect "trailing extra segment" 404 "not routed" "$base/api/v2/event/42/invite/extra"
expect "no trailing slash" 404 "not routed" "$base/api/v2/event/42/invite"
expect "prefix before the route" 404 "not routed" "$base/x/api/v2/event/42/invite/"
expect "PostgREST's own path" 404 "not routed" "$base/rpc/event_invites?id=42"
expect "PostgREST's write path" 404 "not routed" \
    "${json[@]}" -X POST --data-raw '{"id":42,"users":[1]}' "$base/rpc/event_invite_users"
# The write side's internal URI answers nginx's own 404 to a client.
for method in GET POST DELETE; do
    got=$(curl -sS --max-time 10 -o /dev/null -D "$tmp/headers" -w '%{http_code}' \
              "${json[@]}" -X "$method" --data-raw '{"users":[1]}' "$base/_invite_api/rpc/42") || got="curl failed"
    if [ "$got" = 404 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $method of the internal URI: want 404, got $got"
    fi
    expect_header "$method of the internal URI: nothing reached the upstream" X-Seen ""
done

if [ "$failed" -ne 0 ]; then
    echo "=== nginx error log"
    tail -n 40 "$tmp/logs/error.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
