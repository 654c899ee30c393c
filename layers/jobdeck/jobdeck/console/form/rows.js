// Rows the user adds, removes and reorders: the events, hooks, job parameters and steps of the
// form. A row's field names and labels carry its index ("hooks[1].slug", "Remove hook 2"), so every
// row is built again, with its index, after each change.

import { fill } from "../lib/dom.js";

/**
 * A row of a RowList.
 * @typedef {object} Row
 * @property {HTMLElement} element
 * @property {(index: number) => void} build (re)labels its fields for its place in the list
 * @property {() => any} value what the API is sent for it
 */

/**
 * The rows shown in a container.
 * @param {HTMLElement} container
 * @param {(rows: Row[]) => void} [after] called after each change (an empty list's message, say)
 */
export function rowList(container, after = () => {}) {
  /** @type {Row[]} */
  const items = [];
  const render = () => {
    items.forEach((item, i) => item.build(i));
    fill(container, ...items.map((item) => item.element));
    after(items);
  };
  return {
    items,
    render,
    /** @param {Row} item */
    add(item) {
      items.push(item);
      render();
      return item;
    },
    /** @param {Row} item */
    remove(item) {
      items.splice(items.indexOf(item), 1);
      render();
    },
    /** Swap a row with the one above (-1) or below (+1), if there is one; whether it moved. */
    move(item, delta) {
      const i = items.indexOf(item);
      const j = i + delta;
      if (j < 0 || j >= items.length) return false;
      [items[i], items[j]] = [items[j], items[i]];
      render();
      return true;
    },
    /** @returns {any[]} every row's value, in order */
    values: () => items.map((item) => item.value()),
  };
}
