// Building DOM nodes. Text always goes through textContent or text nodes, never innerHTML:
// nothing the user or the server writes can become markup.
const SVG = "http://www.w3.org/2000/svg";

export function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A decorative 24×24 icon from path data (hidden from assistive technologies). */
export function icon(pathData) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "qp-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", pathData);
  svg.append(path);
  return svg;
}

// Icon shapes drawn for this widget (simple strokes rendered as filled paths).
export const ICONS = Object.freeze({
  chat: "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H8.4L4 20.5V5a1 1 0 0 1 1-1zm1 2v10.3L7.6 15H19V6H5zm2 3h10v2H7V9z",
  close: "M12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4 6.4 5z",
  erase: "M7 4V2h10v2h5v2h-2v15a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6H2V4h5zm-1 2v14h12V6H6zm3 3h2v8H9V9zm4 0h2v8h-2V9z",
  send: "M3 20.5V14l8-2-8-2V3.5L22 12 3 20.5z",
});
