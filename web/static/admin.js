// The admin API as the library page uses it: the token kept for this tab, and every error's own message.

const TOKEN_KEY = "libya_qa.admin_token";

/** The token entered in this tab ("" when none). */
export function token() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

/** Keep (or with "" forget) the token for this tab only. */
export function setToken(value) {
  try {
    if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage blocked: the token must be entered again after a reload.
  }
}

/** An error from the server: its code and message, and whether the token was refused. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API with the token; resolves the JSON body, or throws an ApiError carrying the server's message. */
export async function api(method, path, body = undefined) {
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = { method, headers };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check your connection and try again.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(response.status, error ? error.code : "http_error",
      error ? error.message : `the server answered ${response.status} ${response.statusText}`.trim());
  }
  return data;
}
