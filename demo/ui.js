/**
 * The page's small DOM helpers: screens (one shown at a time, focus moved to its heading), the
 * status line, errors shown where the action was (a form's own alert, each field's own message
 * from the API's validation `details`, tied to the input with aria-describedby and aria-invalid).
 */
import { fieldMessage, messageFor } from './messages.js';

export const $ = (id) => document.getElementById(id);

/** Shows one screen (`<section class="screen">`), hides the others, and moves focus to its heading. */
export function showScreen(id, { focus = true } = {}) {
  for (const screen of document.querySelectorAll('.screen')) screen.hidden = screen.id !== id;
  const heading = $(id).querySelector('h2');
  if (focus && heading) heading.focus();
}

/** The status line (role=status): what just happened, read out by screen readers. */
export function announce(text) {
  $('status').textContent = text;
}

/** The alert element of a form or a section, created on first use. */
function alertOf(container) {
  let alert = container.querySelector(':scope > .form-error');
  if (!alert) {
    alert = document.createElement('p');
    alert.className = 'form-error';
    alert.setAttribute('role', 'alert');
    alert.hidden = true;
    container.append(alert);
  }
  return alert;
}

function describedBy(input) {
  return (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
}

/** Removes a form's or a section's error and its fields' messages. */
export function clearErrors(container) {
  const alert = container.querySelector(':scope > .form-error');
  if (alert) {
    alert.textContent = '';
    alert.hidden = true;
  }
  for (const message of container.querySelectorAll('.field-error')) {
    const input = container.querySelector(`[aria-describedby~="${message.id}"]`);
    if (input) {
      const rest = describedBy(input).filter((id) => id !== message.id);
      if (rest.length) input.setAttribute('aria-describedby', rest.join(' '));
      else input.removeAttribute('aria-describedby');
      input.removeAttribute('aria-invalid');
    }
    message.remove();
  }
}

/**
 * Shows an error in `container` (a form or a section): the sentence for its code, and for a
 * validation failure each field's problem under that field. `context` picks the wording of codes
 * that mean something more precise in one place (messages.js).
 */
export function showError(container, error, context) {
  clearErrors(container);
  const alert = alertOf(container);
  const details = Array.isArray(error?.details) ? error.details : [];
  let firstInvalid = null;
  const unplaced = [];
  for (const problem of details) {
    const input = container.elements?.[problem.field];
    if (!(input instanceof HTMLElement)) {
      unplaced.push(problem);
      continue;
    }
    const message = document.createElement('p');
    message.className = 'field-error';
    message.id = `${container.id}-${problem.field}-error`;
    message.textContent = fieldMessage(problem);
    (input.closest('label') ?? input).after(message);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [...describedBy(input), message.id].join(' '));
    firstInvalid ??= input;
  }
  const extra = unplaced.map((problem) => `${problem.field}: ${fieldMessage(problem)}`).join(' ');
  alert.textContent = typeof error === 'string' ? error : [messageFor(error, context), extra].filter(Boolean).join(' ');
  alert.hidden = false;
  firstInvalid?.focus();
}

/** Runs `work` with the form's submit button disabled, so a double click sends one request. */
export async function whileBusy(form, work) {
  const buttons = [...form.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

/** Empties every form under `root` and its errors (after a sign-out nothing typed stays on the page). */
export function resetForms(root = document) {
  for (const form of root.querySelectorAll('form')) {
    form.reset();
    clearErrors(form);
  }
  for (const section of root.querySelectorAll('section')) clearErrors(section);
}

/** An element with text, e.g. `el('li', 'None yet')`. */
export function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** `<time datetime="…">5 minutes ago</time>`, the exact time in its tooltip. */
export function timeElement(iso, text) {
  const time = el('time', text, { datetime: iso, title: new Date(iso).toLocaleString('en-GB') });
  return time;
}
