// A table of what the API lists page by page, newest first (a job's history, the audit trail):
// the first page shown, Older for the next one, until the API gives no cursor.

import { fill, h, keepFocus } from "./dom.js";

/**
 * @param {object} options
 * @param {string} options.id the table's id; its body's is `<id>-body`
 * @param {string} options.className
 * @param {string} options.caption what it is, for assistive tech
 * @param {string[]} options.headings
 * @param {(item: any) => HTMLElement} options.row
 * @param {string} options.empty what the table says with no row
 * @param {string} options.olderId the Older button's id
 * @param {(cursor: string) => Promise<{items: any[], cursor: string | null}>} options.readOlder
 * @returns {{elements: HTMLElement[], list: {items: any[], cursor: string | null},
 *   show: (page: {items: any[], cursor: string | null}) => void}} `elements`: the table and its
 *   Older button; `list`: what it shows; `show`: show this instead
 */
export function pagedTable({ id, className, caption, headings, row, empty, olderId, readOlder }) {
  const list = { items: [], cursor: null };
  const body = h("tbody", { id: `${id}-body` });
  const older = h("button", { type: "button", id: olderId, onclick: loadOlder }, "Older");

  function render() {
    keepFocus(() =>
      fill(
        body,
        ...list.items.map(row),
        list.items.length === 0 ? h("tr", { class: "empty" }, h("td", { colspan: headings.length }, empty)) : [],
      ),
    );
    older.hidden = !list.cursor;
  }

  /** The next page, after those shown (an item shown already is not shown twice). */
  async function loadOlder() {
    const more = await readOlder(list.cursor);
    list.items.push(...more.items.filter((item) => !list.items.some((k) => k.id === item.id)));
    list.cursor = more.cursor;
    render();
    if (!older.hidden) older.focus();
  }

  const elements = [
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: className, id },
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
    ),
    h("div", { class: "button-row pager" }, older),
  ];
  const show = (page) => {
    list.items = page.items;
    list.cursor = page.cursor;
    render();
  };
  return { elements, list, show };
}
