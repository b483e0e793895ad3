// Element building for the UI. Everything user-supplied goes in as text nodes or attribute values,
// never as HTML: span names, attributes and stack traces come from any process that can send OTLP.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** A <select> named `name` offering `options` ([value, label] pairs), with `value` chosen. */
export function choice(name: string, options: ReadonlyArray<readonly [string, string]>, value: string): HTMLSelectElement {
  const select = h('select', { name }, ...options.map(([v, label]) => h('option', { value: v }, label)));
  select.value = value;
  return select;
}

/** The recent time ranges the metrics and profiles pages offer: look-backs the API reads as `since`. */
export const RECENT_RANGES: ReadonlyArray<readonly [string, string]> = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['24h', 'Last 24 hours'],
];

/** A labelled form control, as the search forms lay them out. */
export function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

/** The form's non-empty fields as URL parameters, which is how a page keeps its filters in the URL. */
export function formParams(form: HTMLFormElement): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (typeof value === 'string' && value !== '') params.set(key, value);
  return params;
}
