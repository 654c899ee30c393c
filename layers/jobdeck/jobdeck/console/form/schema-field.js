// A field for one value described by a JSON Schema property: an action's parameter in the form
// (the catalog gives each action's schema), or a job's parameter asked at Run Now.

import { h } from "../lib/dom.js";
import { requiredMark } from "./field.js";

/** A default as a person reads it: an object or a list as its JSON, not "[object Object]". */
const shownDefault = (value) => (value !== null && typeof value === "object" ? JSON.stringify(value) : String(value));

/**
 * A labelled input for one JSON Schema property: string, integer/number, boolean, enum; any other
 * type as JSON text. A template ("{{ parameters.x }}") is shown and read as the text it is.
 * @param {string} idPrefix
 * @param {string} name the property's name: the label, and the key of the value read
 * @param {{type?: string, enum?: any[], default?: any, description?: string, minimum?: number,
 *   maximum?: number}} schema
 * @param {boolean} required
 * @param {any} value the value stored, if any
 * @returns {{name: string, element: HTMLElement, input: HTMLElement, read: () => any}} `read()`: the
 *   value to send, undefined when none is given
 */
export function schemaField(idPrefix, name, schema, required, value) {
  const id = `${idPrefix}-${name}`.replace(/[^\w-]/g, "_");
  const hint = [
    typeof value === "string" && value.includes("{{") ? "a template, filled in at each run" : "",
    schema.description,
    schema.default !== undefined && !schema.enum && schema.type !== "boolean"
      ? `default: ${shownDefault(schema.default)}`
      : "",
  ]
    .filter(Boolean)
    .join(" · ");
  // A stored template ("{{ parameters.wipe }}") where a checkbox, a number box or a list would go is
  // shown and sent back as the text it is: those inputs cannot hold it, and would change it.
  const templated = typeof value === "string" && value.includes("{{") && (schema.enum || schema.type !== "string");
  const describedBy = `${id}-hint ${id}-error`;
  const text = (shown, placeholder) =>
    h("input", { type: "text", id, required, value: shown, placeholder, "aria-describedby": describedBy });
  let input;
  if (templated) {
    input = text(value);
    input.spellcheck = false;
  } else if (schema.enum) {
    input = h(
      "select",
      { id, required, "aria-describedby": describedBy },
      (!required || schema.default === undefined) &&
        h("option", { value: "" }, schema.default === undefined ? "—" : `(default: ${shownDefault(schema.default)})`),
      schema.enum.map((choice) => h("option", { value: JSON.stringify(choice) }, String(choice))),
    );
    const chosen = value !== undefined ? value : required ? schema.default : undefined;
    if (chosen !== undefined) input.value = JSON.stringify(chosen);
  } else if (schema.type === "boolean") {
    input = h("input", {
      type: "checkbox",
      id,
      checked: Boolean(value ?? schema.default),
      "aria-describedby": describedBy,
    });
  } else if (schema.type === "integer" || schema.type === "number") {
    input = h("input", {
      type: "number",
      id,
      required,
      step: schema.type === "integer" ? 1 : "any",
      min: schema.minimum,
      max: schema.maximum,
      value: value ?? "",
      placeholder: schema.default ?? "",
      "aria-describedby": describedBy,
    });
  } else if (schema.type === "string" || !schema.type) {
    input = text(value ?? "", schema.default ?? "");
  } else {
    const placeholder = schema.default !== undefined ? shownDefault(schema.default) : "JSON";
    input = text(value === undefined ? "" : JSON.stringify(value), placeholder);
  }
  const element = h(
    "div",
    { class: `field${schema.type === "boolean" && !schema.enum && !templated ? " check" : ""}` },
    h("label", { for: id }, name, required && requiredMark()),
    input,
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    h("p", { class: "field-error", id: `${id}-error` }),
  );
  const read = () => {
    if (templated) return input.value === "" ? undefined : input.value;
    if (schema.enum) return input.value === "" ? undefined : JSON.parse(input.value);
    if (schema.type === "boolean") return input.checked;
    if (input.value === "") return undefined;
    if (schema.type === "integer" || schema.type === "number")
      return Number.isNaN(Number(input.value)) ? input.value : Number(input.value);
    if (schema.type && schema.type !== "string") {
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value;
      }
    }
    return input.value;
  };
  return { name, element, input, read };
}

/**
 * The values read from schema fields, those given only.
 * @param {{name: string, read: () => any}[]} fields
 * @returns {Record<string, any>}
 */
export function valuesOf(fields) {
  const values = {};
  for (const f of fields) {
    const value = f.read();
    if (value !== undefined) values[f.name] = value;
  }
  return values;
}
