/*
 * invite_api: the write side of the public route, for nginx's JavaScript
 * module (njs 0.7 and later; Debian: libnginx-mod-http-js).
 *
 * The public POST and DELETE /api/v2/event/{id}/invite/ with the body
 * {"users": [1, 2, ...]} become PostgREST's POST /rpc/event_invite_users and
 * /rpc/event_uninvite_users with the body {"id": <id>, "users": [...]}.
 * invite_api_locations.conf rewrites such a request to the internal URI
 * /_invite_api/rpc/{id}, whose js_content is rpc() below: it checks the
 * Content-Type and the body, builds PostgREST's body from the id of the path
 * and the users of the client's body (nothing else of the client's body is
 * passed on, an "id" in it included), and hands the request to the named
 * location @invite_api_rpc, which sends that body to PostgREST.
 */

/* Answer with a JSON body shaped like PostgREST's errors. */
function refuse(r, status, message, details) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify({
        code: String(status),
        details: details,
        hint: null,
        message: message
    }) + '\n');
}

/*
 * application/json, with parameters or none; a charset, when given, must be
 * UTF-8, as RFC 8259 requires of JSON.
 */
function isJson(contentType) {
    var parts, charset, i;

    if (!contentType)
        return false;
    parts = contentType.split(';');
    if (parts[0].trim().toLowerCase() !== 'application/json')
        return false;
    for (i = 1; i < parts.length; i++) {
        charset = /^\s*charset\s*=\s*"?([^"\s]*)"?\s*$/i.exec(parts[i]);
        if (charset && !/^utf-?8$/i.test(charset[1]))
            return false;
    }
    return true;
}

/* The js_content of /_invite_api/rpc/{id}: check, build, pass on. */
function rpc(r) {
    var path = /^\/_invite_api\/rpc\/([0-9]+)$/.exec(r.uri);
    var body, users, i;

    if (!path) {
        refuse(r, 404, 'not found', null);
        return;
    }
    if (!isJson(r.headersIn['Content-Type'])) {
        refuse(r, 415, 'unsupported media type',
               'The body must be JSON, sent as "Content-Type: application/json".');
        return;
    }
    if (r.requestText === undefined) {
        /* Written to a file: the configuration is not the one shipped. */
        r.error('invite_api.js: the request body was written to a temporary file; '
                + 'client_body_buffer_size must be larger than client_max_body_size');
        refuse(r, 500, 'internal server error', null);
        return;
    }

    try {
        body = JSON.parse(r.requestText);
    } catch (e) {
        body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        refuse(r, 400, 'invalid request body',
               'The body must be a JSON object: {"users": [<user id>, ...]}.');
        return;
    }
    users = body.users;
    if (!Array.isArray(users)) {
        refuse(r, 400, 'invalid request body', '"users" must be a list of user ids.');
        return;
    }
    for (i = 0; i < users.length; i++) {
        /*
         * A JSON number becomes a double here: only the integers a double
         * holds exactly (up to 2^53 - 1) come back out as they were sent.
         */
        if (typeof users[i] !== 'number' || !Number.isSafeInteger(users[i])) {
            refuse(r, 400, 'invalid request body',
                   '"users" must be a list of integers between '
                   + '-9007199254740991 and 9007199254740991.');
            return;
        }
    }

    /*
     * The id as the path spells it, leading zeros dropped (JSON allows none):
     * digits of any length, for PostgreSQL's bigint to accept or refuse.  An
     * empty list is passed on, for the function to refuse with its own
     * reason.
     */
    r.variables.invite_api_rpc_body =
        '{"id":' + path[1].replace(/^0+(?=[0-9])/, '')
        + ',"users":' + JSON.stringify(users) + '}';
    r.internalRedirect('@invite_api_rpc');
}

export default {rpc};
