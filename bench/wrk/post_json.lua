-- POST a JSON body, with a Bearer token when TOKEN is set.
--   BODY: the request body (default "{}")        TOKEN: an access token (optional)
-- With BODY_TOKEN_FIELD set, the body is {"<field>": "<TOKEN>"} instead (token verify).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN")
local field = os.getenv("BODY_TOKEN_FIELD")
if field and field ~= "" then
    wrk.body = string.format('{"%s": "%s"}', field, token)
else
    wrk.body = os.getenv("BODY") or "{}"
    if token and token ~= "" then
        wrk.headers["Authorization"] = "Bearer " .. token
    end
end
