// The token of a mailed link (activation, password reset, e-mail confirmation). It comes in the
// address's fragment, which never reaches a server or a log; the page takes it out of the
// address bar at once (history.replaceState) and keeps it in this tab's sessionStorage, so a
// reload still works, until it is used.

import { tokenFromHash } from './validate.js';

/**
 * @param {string} key the sessionStorage key for this kind of link
 * @returns {string | null}
 */
export function takeToken(key) {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash) {
    try {
      sessionStorage.setItem(key, fromHash);
    } catch {
      // Storage may be off (private mode); the token still works until the page is left.
    }
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key */
export function forgetToken(key) {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // Nothing to forget.
  }
}
