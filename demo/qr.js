/**
 * Draws a QR code on the page with `uqr` (served from node_modules as /vendor/uqr.mjs): the
 * authenticator key never leaves the page for a QR service. SVG elements, no markup strings.
 */
import { encode } from '/vendor/uqr.mjs';

export function drawQr(container, text) {
  const { data, size } = encode(text, { ecc: 'M', border: 2 });
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the authenticator key (the key is also written below)');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(ns, 'rect');
  for (const [name, value] of [['width', size], ['height', size], ['fill', '#fff']]) background.setAttribute(name, String(value));
  const path = document.createElementNS(ns, 'path');
  let d = '';
  data.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) d += `M${x} ${y}h1v1h-1z`;
  }));
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(background, path);
  container.replaceChildren(svg);
}
