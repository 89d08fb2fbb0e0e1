// Fills the company's name and support contacts (white-label configuration) into every
// element marked data-company="field". The page reads well without it: the defaults in the
// HTML are generic.

/** @typedef {{name: string, short_name: string, support_phone: string, support_email: string, website: string}} Company */

/** @returns {Promise<Company | null>} */
export async function loadCompany() {
  try {
    const response = await fetch('/api/company', { headers: { Accept: 'application/json' } });
    return response.ok ? /** @type {Company} */ (await response.json()) : null;
  } catch {
    return null;
  }
}

/** @param {Company} company */
export function fillCompany(company) {
  for (const element of document.querySelectorAll('[data-company]')) {
    const field = /** @type {keyof Company} */ (element.getAttribute('data-company'));
    const value = company[field];
    if (typeof value !== 'string') continue;
    element.textContent = value;
    const scheme = element.getAttribute('data-href');
    if (scheme && element instanceof HTMLAnchorElement) {
      element.href = scheme === 'tel' ? `tel:${dialable(value)}` : `${scheme}:${value}`;
    }
  }
  if (document.title && company.short_name && !document.title.includes(company.short_name)) {
    document.title = `${document.title} — ${company.short_name}`;
  }
}

/**
 * A Russian phone number as a phone dials it: `(4842) 701-838` → `+74842701838`.
 * @param {string} phone
 */
export function dialable(phone) {
  const digits = phone.replace(/[^\d+]/g, '');
  if (/^\d{10}$/.test(digits)) return `+7${digits}`;
  if (/^8\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
  return digits;
}

const company = await loadCompany();
if (company) fillCompany(company);
