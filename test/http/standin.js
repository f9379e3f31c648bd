/*
 * The stand-in for PostgREST's RPC endpoint in nginx_test.sh: answers with
 * what it received (method, URI, the headers PostgREST would read, the
 * body, or the SHA-256 of a long one) in an X-Seen header.  Its answer is PostgREST's for a function
 * returning void, 204 with a Content-Range, unless the token is
 * "standin-NNN": then status NNN with a JSON body (and WWW-Authenticate for
 * 401), to see that nginx passes PostgREST's errors on as they are.
 */
var crypto = require('crypto');

/* The body as it came, or its SHA-256 when it is too long for a header. */
function body(text) {
    if (text.length <= 1024)
        return '|body=' + text;
    return '|body-sha256=' + crypto.createHash('sha256').update(text).digest('hex');
}

function rpc(r) {
    var h = r.headersIn;
    var seen = r.method + ' ' + r.variables.request_uri +
        '|authorization=' + (h['Authorization'] || '') +
        '|accept=' + (h['Accept'] || '') +
        '|content-type=' + (h['Content-Type'] || '') +
        '|content-length=' + (h['Content-Length'] || '') +
        '|range=' + (h['Range'] || '') +
        '|prefer=' + (h['Prefer'] || '') +
        '|content-profile=' + (h['Content-Profile'] || '') +
        '|cookie=' + (h['Cookie'] || '') +
        body(r.requestText || '');
    var status = /^Bearer standin-([0-9]{3})$/.exec(h['Authorization'] || '');

    r.headersOut['X-Seen'] = seen;
    r.headersOut['Content-Range'] = '0-0/*';
    if (!status) {
        r.return(204);
        return;
    }
    if (status[1] === '401')
        r.headersOut['WWW-Authenticate'] = 'Bearer error="invalid_token"';
    r.headersOut['Content-Type'] = 'application/json; charset=utf-8';
    r.return(Number(status[1]), '{"code":"standin","status":' + status[1] + '}');
}

export default {rpc};
