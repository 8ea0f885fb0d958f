// Plain text to DOM nodes, with web addresses turned into links that open in a new window.
import { el } from "./dom.js";
import { TEXT } from "./strings.js";

const ADDRESS = /\bhttps?:\/\/[^\s<>"'«»]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"’…]+$/;

function link(address) {
  let url;
  try {
    url = new URL(address);
  } catch (error) {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const anchor = el("a", { text: address, attrs: { href: address, target: "_blank", rel: "noopener noreferrer" } });
  anchor.append(" ", el("span", { className: "qp-sr-only", text: TEXT.newWindow }));
  return anchor;
}

export function linkify(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(ADDRESS)) {
    const address = match[0].replace(TRAILING_PUNCTUATION, "");
    const anchor = address && link(address);
    if (!anchor) continue;
    nodes.push(document.createTextNode(text.slice(last, match.index)), anchor);
    last = match.index + address.length;
  }
  nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
