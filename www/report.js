// generateReport() as HTML tables (one per section, nested objects flattened to dotted rows)
// and the whole report as a JSON download.

function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

function show(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (v == null) return '-';
  return String(v);
}

function rows(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...rows(v, `${prefix}${k}.`));
    else out.push([`${prefix}${k}`, Array.isArray(v) ? JSON.stringify(v) : show(v)]);
  }
  return out;
}

function rank(name, order) {
  const i = order.indexOf(name);
  return i >= 0 ? i : name === 'details' ? order.length + 1 : order.length;
}

/** A section of tables for each provider's report: { provider: report }. */
export function renderReports(container, reports) {
  container.replaceChildren();
  for (const [provider, report] of Object.entries(reports)) {
    const section = document.createElement('section');
    section.className = 'report';
    section.append(cell('h3', provider));
    // The summary first, the details last; any section a newer build adds in between.
    const order = ['summary', 'circuit_breaker', 'errors', 'models'];
    const names = Object.keys(report).sort((a, b) => rank(a, order) - rank(b, order));
    for (const name of names) {
      const value = report[name];
      const table = document.createElement('table');
      table.dataset.section = name;
      table.append(cell('caption', name));
      const list = rows(value);
      if (!list.length) list.push(['(none)', '']);
      for (const [k, v] of list) {
        const tr = document.createElement('tr');
        tr.append(cell('th', k), cell('td', v));
        table.append(tr);
      }
      section.append(table);
    }
    container.append(section);
  }
}

/** Offers `data` as a JSON file download. */
export function downloadJson(data, name) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
