// Same-origin JSON requests to Svet's API. Never throws: HTTP errors come back as
// {ok: false, status, body: {error, message, fields?, retry_after?}}, and a network failure as
// status 0 with a Russian message the page can show as it is. The browser adds the Origin
// header to POST and PUT by itself, which the server requires of state-changing requests.

/**
 * @typedef {{error: string, message: string, fields?: Record<string, string>, retry_after?: number}} ApiError
 * @typedef {{ok: true, status: number, body: any} | {ok: false, status: number, body: ApiError}} ApiResult
 */

export const NETWORK_MESSAGE = 'Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.';
const BROKEN_MESSAGE = 'Сервис временно недоступен. Попробуйте через несколько минут.';
/** A slow mobile network gets this long before the page gives up. */
const TIMEOUT_MS = 30_000;

/**
 * @param {'GET' | 'POST' | 'PUT'} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON when given
 * @returns {Promise<ApiResult>}
 */
export async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch {
    clearTimeout(timer);
    return { ok: false, status: 0, body: { error: 'network', message: NETWORK_MESSAGE } };
  }
  /** @type {any} */
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return { ok: true, status: response.status, body: parsed ?? {} };
  const error = parsed && typeof parsed === 'object' ? parsed : {};
  return {
    ok: false,
    status: response.status,
    body: {
      ...error,
      error: typeof error.error === 'string' ? error.error : 'http_' + response.status,
      message: typeof error.message === 'string' && error.message !== '' ? error.message : BROKEN_MESSAGE,
    },
  };
}

/** @param {string} path */
export const get = (path) => request('GET', path);
/** @param {string} path @param {unknown} [body] */
export const post = (path, body) => request('POST', path, body);
/** @param {string} path @param {unknown} body */
export const put = (path, body) => request('PUT', path, body);
