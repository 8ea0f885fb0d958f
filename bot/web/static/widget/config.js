// The widget's options, read from the data attributes of its <script> tag and validated.
import { TEXT } from "./strings.js";

export const MAX_MESSAGE_LENGTH = 1000;
const TERRITORY = /^[a-z0-9][a-z0-9-]{0,63}$/;

function serverUrl(value, assets) {
  try {
    const url = new URL(value || new URL(assets).origin, document.baseURI);
    if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
  } catch (error) {
    // fall through
  }
  console.error("Assistant : data-server n'est pas une adresse http(s) valide :", value);
  return null;
}

function clampLength(value) {
  const length = Number.parseInt(value, 10);
  return Number.isInteger(length) && length > 0 ? Math.min(length, MAX_MESSAGE_LENGTH) : MAX_MESSAGE_LENGTH;
}

export function readConfig(dataset, assets) {
  const territory = (dataset.territory || "").trim().toLowerCase();
  const server = serverUrl(dataset.server, assets);
  return Object.freeze({
    assets,
    server,
    territory: TERRITORY.test(territory) ? territory : null,
    title: (dataset.title || "").trim().slice(0, 80) || TEXT.defaultTitle,
    primaryColor: dataset.primaryColor || null,
    surfaceColor: dataset.surfaceColor || null,
    position: dataset.position === "left" ? "left" : "right",
    openAtStart: dataset.open === "true",
    maxLength: clampLength(dataset.maxLength),
    storageKey: `qp-assistant:${server}`,
    // Our web server (where the widget's files come from) issues the conversation ids.
    sessionUrl: new URL("../widget/session", assets).href,
    // …and hears which aid's official link was opened (bot/web/opened.py).
    openedUrl: new URL("../widget/ouverture", assets).href,
  });
}
